using System.Globalization;
using System.Text;
using RlTune.Envs;

namespace RlTune.Learning;

/// <summary>
/// A text "render" of the trained policy: one deterministic episode of env 0, step by step
/// (observations, actions, reward) as CSV. There is no graphics window on these machines.
/// </summary>
public static unsafe class EpisodeTrace
{
    public static void Write(string path, PpoTrainer trainer, IVecEnv env, int seed)
    {
        int n = env.NumEnvs, obs = env.ObsDim, act = env.ActDim;
        var actions = new AlignedBuffer(n * act);
        var rewards = new float[n];
        var terminated = new bool[n];
        var truncated = new bool[n];
        var scaler = trainer.Config.StatePreprocessor ? trainer.StateScaler : null;
        var csv = new StringBuilder();
        csv.Append("step,").AppendJoin(',', Enumerable.Range(0, obs).Select(i => $"obs{i}")).Append(',')
           .AppendJoin(',', Enumerable.Range(0, act).Select(i => $"action{i}")).AppendLine(",reward,terminated,truncated");
        env.Reset(seed);
        for (int step = 0; step < env.MaxEpisodeSteps + 1; step++)
        {
            var o = env.Observations.Slice(0, obs).ToArray();
            fixed (float* p = env.Observations)
                trainer.Runner.Run(p, n, scaler, actions.Pointer, null);
            env.Step(actions.Span, rewards, terminated, truncated);
            csv.Append(step).Append(',').AppendJoin(',', o.Select(F)).Append(',')
               .AppendJoin(',', actions.Span.Slice(0, act).ToArray().Select(F))
               .Append(',').Append(F(rewards[0])).Append(',').Append(terminated[0] ? 1 : 0).Append(',').Append(truncated[0] ? 1 : 0).AppendLine();
            if (terminated[0] || truncated[0]) break;
        }
        env.DrainEpisodes();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, csv.ToString());
    }

    private static string F(float x) => x.ToString("G6", CultureInfo.InvariantCulture);
}
