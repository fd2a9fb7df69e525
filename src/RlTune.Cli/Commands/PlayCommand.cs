using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Envs;
using RlTune.Envs.VbotNav;
using RlTune.Envs.VbotNavLite;
using RlTune.Learning;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>
/// <c>rltune play --checkpoint FILE --out traj.png</c>: runs a trained policy's mean action on N
/// robots and draws their paths from spawn to target on the platform, falls marked.
/// </summary>
public sealed class PlayCommand : Command<PlayCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("A checkpoint written by `rltune train` or `train-one` (its run dir's checkpoints/).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("The picture to write, PNG (default traj.png).")]
        public string Out { get; init; } = "traj.png";

        [CommandOption("--robots <N>")]
        [Description("How many robots to draw, one episode each (default 24).")]
        public int Robots { get; init; } = 24;

        [CommandOption("--seed <S>")]
        [Description("Seed of the spawn points and sensor noise (default 1).")]
        public int Seed { get; init; } = 1;

        [CommandOption("--env-overrides <JSON>")]
        [Description("env_overrides for the run, e.g. '{\"spawn_ring\": [[2, 5]]}'.")]
        public string? EnvOverrides { get; init; }

        [CommandOption("--strip <FILE>")]
        [Description("vbot-nav: also render one robot's episode with MuJoCo (headless EGL) as a strip of frames, PNG.")]
        public string? Strip { get; init; }

        [CommandOption("--strip-frames <N>")]
        [Description("Frames in the strip, evenly from spawn to the episode's end (default 6).")]
        public int StripFrames { get; init; } = 6;

        [CommandOption("--frames <DIR>")]
        [Description("vbot-nav: also write the robot's episode as DIR/frame_NNNN.png, one every --frame-every steps (a clip: ffmpeg -framerate 20 -i DIR/frame_%04d.png clip.mp4).")]
        public string? Frames { get; init; }

        [CommandOption("--frame-every <STEPS>")]
        [Description("Control steps between written frames (default 5: 20 frames a second at 100 Hz).")]
        public int FrameEvery { get; init; } = 5;

        [CommandOption("--film-robot <K>")]
        [Description("Which robot of the paths picture --strip and --frames show, 1 to --robots (default 1).")]
        public int FilmRobot { get; init; } = 1;

        [CommandOption("--frame-size <WxH>")]
        [Description("Pixels of one rendered frame (default 320x240).")]
        public string FrameSize { get; init; } = "320x240";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Checkpoint is null) throw new UserError("play needs --checkpoint FILE (a checkpoint from `rltune train`).");
        if (settings.Robots is < 1 or > 4096) throw new UserError($"--robots must be between 1 and 4096, not {settings.Robots}.");
        bool film = settings.Strip is not null || settings.Frames is not null;
        if (settings.StripFrames is < 1 or > 24) throw new UserError($"--strip-frames must be between 1 and 24, not {settings.StripFrames}.");
        if (settings.FrameEvery < 1) throw new UserError($"--frame-every must be at least 1 control step, not {settings.FrameEvery}.");
        if (settings.FilmRobot < 1 || settings.FilmRobot > settings.Robots) throw new UserError($"--film-robot must be between 1 and --robots ({settings.Robots}), not {settings.FilmRobot}.");
        var size = settings.FrameSize.Split('x');
        if (size.Length != 2 || !int.TryParse(size[0], CultureInfo.InvariantCulture, out int frameWidth) || !int.TryParse(size[1], CultureInfo.InvariantCulture, out int frameHeight)
            || frameWidth is < 16 or > 4096 || frameHeight is < 16 or > 4096)
            throw new UserError($"--frame-size must be WIDTHxHEIGHT in pixels, 16 to 4096 each, such as 320x240, not '{settings.FrameSize}'.");
        var checkpoint = Learning.Checkpoint.Load(settings.Checkpoint);
        string envName = checkpoint.Header["env_name"]?.GetValue<string>() ?? VbotNavLiteEnv.EnvName;
        if (envName != VbotNavLiteEnv.EnvName && envName != VbotNavEnv.EnvName)
            throw new UserError($"{settings.Checkpoint}: play draws {VbotNavLiteEnv.EnvName} and {VbotNavEnv.EnvName} paths; this checkpoint was trained on '{envName}'.");
        if (film && envName != VbotNavEnv.EnvName)
            throw new UserError($"--strip and --frames render the full-body {VbotNavEnv.EnvName}; {settings.Checkpoint} was trained on '{envName}', which has no body to render (its paths picture is --out).");
        if (film && Envs.VbotNav.MuJoCoInterop.VbotRenderer.Unavailable is { } why) throw new UserError(why);
        // the env the policy was trained in (its checkpoint records the env_overrides), unless --env-overrides says otherwise
        var overrides = checkpoint.Header["env_overrides"] as JsonObject;
        var overridesFrom = overrides is null ? "the env's defaults: the checkpoint records no env_overrides" : "the checkpoint's env_overrides";
        if (settings.EnvOverrides is { } text)
        {
            overrides = null;
            try { overrides = JsonNode.Parse(text) as JsonObject; }
            catch (System.Text.Json.JsonException) { }
            if (overrides is null) throw new UserError($"--env-overrides must be a JSON object such as '{{\"spawn_ring\": [2, 5]}}', not '{text}'.");
            overridesFrom = "--env-overrides";
        }

        var options = new EnvOptions(settings.Robots, null, overrides);
        using IPlatformEnv env = envName == VbotNavEnv.EnvName ? new VbotNavEnv(options) : new VbotNavLiteEnv(options);
        var drawn = env.Layout;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"spawn ring {drawn.SpawnInnerRadius:0.##}-{drawn.SpawnOuterRadius:0.##} m, episode limit {drawn.MaxEpisodeSteps} steps ({overridesFrom})"));
        var model = checkpoint.Model;
        if (env.ObsDim != model.Observations || env.ActDim != model.Actions)
            throw new UserError($"{settings.Checkpoint}: the model takes {model.Observations} observations and gives {model.Actions} actions; {envName} has {env.ObsDim} and {env.ActDim}.");
        using var policy = new DeterministicPolicy(checkpoint, settings.Robots);
        var paths = Trajectories.Record(env, policy.Act, settings.Robots, settings.Seed);
        long steps = checkpoint.Header["env_steps"]?.GetValue<long>() ?? 0;
        string title = string.Create(CultureInfo.InvariantCulture,
            $"{envName}: {Path.GetFileName(settings.Checkpoint)} ({steps / 1e6:0.#}M steps), {settings.Robots} robots, seed {settings.Seed}");
        Trajectories.SavePng(paths, drawn, settings.Out, title);
        int success = paths.Count(p => p.Outcome == EpisodeOutcome.Success);
        int fell = paths.Count(p => p.Outcome == EpisodeOutcome.Fall);
        int left = paths.Count(p => p.Outcome == EpisodeOutcome.LeftPlatform);
        int timeout = paths.Count(p => p.Outcome == EpisodeOutcome.Timeout);
        int reachedOnly = paths.Count(p => p.Class == PathClass.ReachedOnly);
        Console.WriteLine($"{settings.Robots} robots: {success} reached and stopped, {fell} fell, {left} left the platform, {timeout} hit the episode limit ({reachedOnly} of them had reached the target)");
        if (drawn.ComfortSpeed is { } comfort) // the body model's fall, timeout and speed descriptions (vbot-nav-lite)
        {
            if (fell > 0) Console.WriteLine(FallState.Summary(paths.Where(p => p.Fall is not null).Select(p => p.Fall!).ToList(), comfort));
            if (timeout > 0) Console.WriteLine(TimeoutState.Summary(paths.Where(p => p.Timeout is not null).Select(p => p.Timeout!).ToList()));
            Console.WriteLine(SpeedState.Summary(paths.Where(p => p.Speed is not null).Select(p => p.Speed!).ToList(), comfort));
        }
        Console.WriteLine($"wrote {Path.GetFullPath(settings.Out)}");
        if (film) Film(settings, checkpoint, overrides, steps, frameWidth, frameHeight);
        return 0;
    }

    /// <summary>Robot --film-robot's episode again (the same spawn: each env's stream depends only on the seed and its index), rendered by MuJoCo.</summary>
    private static void Film(Settings settings, Learning.Checkpoint checkpoint, JsonObject? overrides, long steps, int width, int height)
    {
        int robot = settings.FilmRobot - 1;
        using var env = new VbotNavEnv(new EnvOptions(robot + 1, null, overrides));
        using var policy = new DeterministicPolicy(checkpoint, robot + 1);
        var film = VbotNavFilm.Record(env, policy.Act, settings.Seed, robot);
        using var renderer = new Envs.VbotNav.MuJoCoInterop.VbotRenderer(width, height);
        string ending = film.Outcome switch
        {
            EpisodeOutcome.Success => "reached and stopped",
            EpisodeOutcome.Fall => "fell",
            EpisodeOutcome.LeftPlatform => "left the platform",
            _ => "hit the episode limit",
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"robot {settings.FilmRobot}: {film.Seconds(film.Poses.Count - 1):0.0} s from {film.DistanceToTarget(0):0.0} m out, {ending}"));
        if (settings.Strip is { } strip)
        {
            string title = string.Create(CultureInfo.InvariantCulture,
                $"vbot-nav, {Path.GetFileName(settings.Checkpoint)} ({steps / 1e6:0.#}M steps): robot {settings.FilmRobot} of seed {settings.Seed}, {ending} (MuJoCo 2.2.2, EGL headless)");
            film.SaveStrip(renderer, film.EvenSteps(settings.StripFrames), strip, title);
            Console.WriteLine($"wrote {Path.GetFullPath(strip)}");
        }
        if (settings.Frames is { } dir)
        {
            int written = film.SaveFrames(renderer, settings.FrameEvery, dir);
            Console.WriteLine($"wrote {written} frames to {Path.GetFullPath(dir)}");
        }
    }
}
