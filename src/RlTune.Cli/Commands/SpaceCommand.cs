using System.ComponentModel;
using System.Globalization;
using RlTune.Search;
using RlTune.Trials;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune space [FILE|PRESET]</c>: checks a search space and shows its parameters, defaults, constraints and grid size; without an argument lists the presets.</summary>
public sealed class SpaceCommand : Command<SpaceCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[SPACE]"), Description("A search-space YAML file or a preset name; omit to list the presets.")]
        public string? Space { get; init; }
        [CommandOption("--grid-points <N>"), Description("Values per float parameter on a grid (default 5), for the grid size shown.")]
        public int GridPoints { get; init; } = 5;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Space is null)
        {
            foreach (var name in Presets.Names)
            {
                var preset = Presets.Load(name);
                Console.WriteLine($"{name,-24} {preset.Params.Count,3} parameters, {preset.Constraints.Count} constraints");
            }
            return 0;
        }
        if (s.GridPoints < 1) throw new UserError($"--grid-points: expected a positive number, not {s.GridPoints}.");
        var space = Presets.Resolve(s.Space);
        var defaults = space.Defaults();
        Console.WriteLine($"{space.Source}: search space '{space.Id}' is valid: {space.Params.Count} parameters, {space.Fixed.Count} fixed, {space.Constraints.Count} constraints");
        foreach (var section in new[] { ParamSection.PpoParams, ParamSection.RewardWeights })
        {
            var ps = space.Params.Where(p => p.Section == section).ToList();
            if (ps.Count == 0) continue;
            Console.WriteLine(section == ParamSection.PpoParams ? "ppo_params (-> rl_overrides):" : "reward_weights (-> reward_scales):");
            foreach (var p in ps)
                Console.WriteLine($"  {p.Name,-28} {p.Describe(),-44} default {ParamValues.Canonical(defaults[p.Name])}{(p.Prior is null ? " (no prior)" : "")}{(p.Category is null ? "" : $"  [{p.Category}]")}");
        }
        foreach (var (k, v) in space.Fixed) Console.WriteLine($"fixed {k} = {ParamValues.Canonical(v)}");
        foreach (var c in space.Constraints) Console.WriteLine($"constraint (line {c.Line}): skip when {c.Text}");
        var broken = space.ViolatedConstraints(defaults);
        Console.WriteLine(broken.Count == 0 ? "defaults configuration: feasible" : $"defaults configuration: INFEASIBLE (breaks \"{broken[0].Text}\")");
        var grid = new GridSampler(s.GridPoints, long.MaxValue);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"grid with {s.GridPoints} points per float: {grid.Size(space)} configurations before constraints"));
        return 0;
    }
}
