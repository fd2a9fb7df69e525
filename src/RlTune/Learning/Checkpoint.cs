using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Envs;
using RlTune.Numerics;

namespace RlTune.Learning;

/// <summary>
/// A saved trainer: a small JSON header (shapes, config, counters) followed by little-endian
/// binary blocks: parameters, Adam's two moments (float32), then the state and value scalers'
/// mean, variance (float64) and count; from format 2 on, the trainer's random stream and the env's
/// state (when the env can save it). Loadable for warm starts, for evaluation and to continue training.
/// </summary>
public sealed class Checkpoint
{
    private const string Magic = "RLTUNE-CHECKPOINT-1\n";

    public required ActorCritic Model { get; init; }
    public required float[] AdamFirstMoment { get; init; }
    public required float[] AdamSecondMoment { get; init; }
    public required long AdamSteps { get; init; }
    public required RunningStandardScaler StateScaler { get; init; }
    public required RunningStandardScaler ValueScaler { get; init; }
    public required PpoConfig Config { get; init; }
    public required JsonObject Header { get; init; }
    /// <summary>Counters, learning rate and random stream to continue from; null in format-1 checkpoints.</summary>
    public TrainerProgress? Progress { get; init; }
    /// <summary>The file it was read from, for messages.</summary>
    public string FilePath { get; init; } = "";
    /// <summary>The training env's saved state (<see cref="IEnvSnapshot"/>); null when the env cannot save one.</summary>
    public byte[]? EnvState { get; init; }

    /// <summary>The format this version writes.</summary>
    public const int Format = 2;

    /// <summary>
    /// Writes the trainer's state to <paramref name="path"/> (via a temporary file, so a crash never leaves half a checkpoint);
    /// <paramref name="envOverrides"/> (the env settings it was trained under) go into its header, so play can rebuild that env.
    /// </summary>
    public static void Save(string path, PpoTrainer trainer, string envName, JsonObject? envOverrides = null)
    {
        var model = trainer.Model;
        var header = new JsonObject
        {
            ["format"] = Format,
            ["env_name"] = envName,
            ["observations"] = model.Observations,
            ["actions"] = model.Actions,
            ["policy_hidden_layer_sizes"] = new JsonArray(model.Policy.HiddenSizes.Select(s => (JsonNode?)s).ToArray()),
            ["value_hidden_layer_sizes"] = new JsonArray(model.Value.HiddenSizes.Select(s => (JsonNode?)s).ToArray()),
            ["activation"] = model.Policy.Activation.ToString().ToLowerInvariant(),
            ["parameter_count"] = model.ParameterCount,
            ["env_steps"] = trainer.EnvSteps,
            ["updates"] = trainer.Updates,
            ["learning_rate"] = trainer.LearningRate,
            ["adam_steps"] = trainer.Optimizer.Steps,
            ["config"] = trainer.Config.ToJson(),
            ["env_overrides"] = envOverrides?.DeepClone() ?? new JsonObject(),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            w.Write(json.Length);
            w.Write(json);
            WriteFloats(w, model.Parameters.Span);
            WriteFloats(w, trainer.Optimizer.FirstMoment.Span);
            WriteFloats(w, trainer.Optimizer.SecondMoment.Span);
            WriteScaler(w, trainer.StateScaler);
            WriteScaler(w, trainer.ValueScaler);
            var rng = trainer.Progress.Rng;
            w.Write(rng.S0); w.Write(rng.S1); w.Write(rng.S2); w.Write(rng.S3); w.Write(rng.Spare); w.Write(rng.HasSpare);
            var envState = (trainer.Env as IEnvSnapshot)?.SaveState() ?? [];
            w.Write(envState.Length);
            w.Write(envState);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a checkpoint; a missing or damaged file is the user's to fix, so it is a <see cref="UserError"/>.</summary>
    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path)) throw new UserError($"checkpoint '{path}' does not exist.");
        try
        {
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            var magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new UserError($"'{path}' is not an RlTune checkpoint (it does not start with the checkpoint header).");
            int length = r.ReadInt32();
            if (length is <= 0 or > 1 << 20) throw new InvalidDataException("bad header length");
            var header = JsonNode.Parse(r.ReadBytes(length))!.AsObject();
            var config = new PpoConfig().With(header["config"]!.AsObject(), path);
            var model = new ActorCritic(header["observations"]!.GetValue<int>(), header["actions"]!.GetValue<int>(),
                config.PolicyHiddenLayerSizes, config.ValueHiddenLayerSizes, config.Activation);
            if (model.ParameterCount != header["parameter_count"]!.GetValue<int>()) throw new InvalidDataException("parameter count does not match the layer sizes");
            ReadFloats(r, model.Parameters.Span);
            var m = new float[model.ParameterCount];
            var v = new float[model.ParameterCount];
            ReadFloats(r, m);
            ReadFloats(r, v);
            var stateScaler = ReadScaler(r, model.Observations);
            var valueScaler = ReadScaler(r, 1);
            TrainerProgress? progress = null;
            byte[]? envState = null;
            if (header["format"]!.GetValue<int>() >= 2)
            {
                var rng = new RngState(r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadDouble(), r.ReadBoolean());
                progress = new TrainerProgress(header["env_steps"]!.GetValue<long>(), header["updates"]!.GetValue<int>(), header["learning_rate"]!.GetValue<double>(), rng);
                int envBytes = r.ReadInt32();
                if (envBytes < 0 || envBytes > stream.Length - stream.Position) throw new InvalidDataException("bad env state length");
                envState = envBytes > 0 ? r.ReadBytes(envBytes) : null;
            }
            return new Checkpoint
            {
                Model = model, AdamFirstMoment = m, AdamSecondMoment = v, AdamSteps = header["adam_steps"]!.GetValue<long>(),
                StateScaler = stateScaler, ValueScaler = valueScaler, Config = config, Header = header,
                Progress = progress, EnvState = envState, FilePath = path,
            };
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or JsonException or NullReferenceException or FormatException or InvalidOperationException)
        {
            throw new UserError($"checkpoint '{path}' is damaged or truncated ({e.Message}).");
        }
    }

    /// <summary>Puts optimizer state and scaler statistics into a trainer built on <see cref="Model"/> (warm start).</summary>
    public void Restore(PpoTrainer trainer)
    {
        if (!ReferenceEquals(trainer.Model, Model)) throw new ArgumentException("the trainer must be built on this checkpoint's model");
        AdamFirstMoment.CopyTo(trainer.Optimizer.FirstMoment.Span);
        AdamSecondMoment.CopyTo(trainer.Optimizer.SecondMoment.Span);
        trainer.Optimizer.Steps = AdamSteps;
        Copy(StateScaler, trainer.StateScaler);
        Copy(ValueScaler, trainer.ValueScaler);
    }

    /// <summary>
    /// Continues training where this checkpoint stopped: <see cref="Restore"/>, then the counters, schedules and random
    /// stream, then the env's running episodes. Returns true when the env continued exactly; false when it cannot save
    /// its state, so it was reset from a seed drawn from the run's seed and step count (fresh episodes, no step repeated).
    /// </summary>
    public bool Continue(PpoTrainer trainer, IVecEnv env, string source)
    {
        if (Progress is not { } progress)
            throw new UserError($"{source}: checkpoint '{FilePath}' was written by an older RlTune (format {Header["format"]}) without its training state; use it as a warm start (resume: false).");
        if (trainer.Config.NumEnvs != Config.NumEnvs || trainer.Config.Rollouts != Config.Rollouts)
            throw new UserError($"{source}: continuing a checkpoint needs its num_envs ({Config.NumEnvs}) and rollouts ({Config.Rollouts}); the config has {trainer.Config.NumEnvs} and {trainer.Config.Rollouts}.");
        Restore(trainer);
        trainer.Continue(progress, learningRateAsSaved: trainer.Config.LearningRate == Config.LearningRate && trainer.Config.LearningRateScheduler == Config.LearningRateScheduler);
        if (EnvState is { } state && env is IEnvSnapshot snapshot && snapshot.RestoreState(state)) return true;
        int seed = (int)(SplitMix64.Mix((ulong)trainer.Config.Seed ^ (ulong)progress.EnvSteps * SplitMix64.Gamma) & int.MaxValue);
        env.Reset(seed);
        if (trainer.Config.InitAtRandomEpLen && env is IStaggeredEpisodes staggered) staggered.StaggerEpisodes(seed);
        return false;
    }

    private static void Copy(RunningStandardScaler from, RunningStandardScaler to)
    {
        from.Mean.CopyTo(to.Mean, 0);
        from.Variance.CopyTo(to.Variance, 0);
        to.Count = from.Count;
        to.Refresh();
    }

    private static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        foreach (float x in values) w.Write(x);
    }

    private static void ReadFloats(BinaryReader r, Span<float> into)
    {
        int n = r.ReadInt32();
        if (n != into.Length) throw new InvalidDataException($"expected {into.Length} values, found {n}");
        for (int i = 0; i < n; i++) into[i] = r.ReadSingle();
    }

    private static void WriteScaler(BinaryWriter w, RunningStandardScaler s)
    {
        w.Write(s.Size);
        foreach (double x in s.Mean) w.Write(x);
        foreach (double x in s.Variance) w.Write(x);
        w.Write(s.Count);
    }

    private static RunningStandardScaler ReadScaler(BinaryReader r, int size)
    {
        int n = r.ReadInt32();
        if (n != size) throw new InvalidDataException($"scaler of size {n}, expected {size}");
        var s = new RunningStandardScaler(size);
        for (int i = 0; i < size; i++) s.Mean[i] = r.ReadDouble();
        for (int i = 0; i < size; i++) s.Variance[i] = r.ReadDouble();
        s.Count = r.ReadDouble();
        s.Refresh();
        return s;
    }
}
