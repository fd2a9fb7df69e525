// Benchmark programs that print figures (never timed assertions). One sub-command per benchmark.
using RlTune.Bench;

return BenchMain.Run(args);
