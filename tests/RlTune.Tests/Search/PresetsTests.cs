using RlTune.Envs.VbotNavLite;
using RlTune.Search;

namespace RlTune.Tests.Search;

public class PresetsTests
{
    [Fact]
    public void EveryPresetIsEmbeddedAndLoads()
    {
        Assert.Equal(["fine_tuning", "full_unified", "nav_lite_quick", "nav_lite_rewards", "quick_validation_ppo", "quick_validation_reward", "vbot_nav_anchor", "vbot_nav_joint", "vbot_nav_rewards"], Presets.Names);
        foreach (var name in Presets.Names) Assert.NotEmpty(Presets.Load(name).Params);
    }

    [Theory]
    [InlineData("quick_validation_reward")]
    [InlineData("quick_validation_ppo")]
    public void QuickValidationGridsHaveSixConfigurations(string name) =>
        Assert.Equal(6, (int)new GridSampler().Size(Presets.Load(name)));

    [Fact]
    public void FullSearchCoversPpoNetworkAndRewardTermsWithCategories()
    {
        var s = Presets.Load("full_unified");
        Assert.Equal(10, s.Params.Count(p => p.Section == ParamSection.PpoParams));
        Assert.Equal(19, s.Params.Count(p => p.Section == ParamSection.RewardWeights));
        Assert.All(s.Params.Where(p => p.Section == ParamSection.RewardWeights), p => Assert.Contains(p.Category, new[] { "navigation", "stability", "efficiency", "terminal" }));
        Assert.True(s.IsFeasible(s.Defaults()));
    }

    [Fact]
    public void NavLiteRewardsIsCentredOnTheEnvsOwnDefaultTable() => AssertCentredOn("nav_lite_rewards", RewardTerms.All);

    [Fact]
    public void VbotNavRewardsIsCentredOnTheFullBodysOwnDefaultTable()
    {
        Assert.DoesNotContain(Presets.Load("vbot_nav_rewards").Params, p => p.Section == ParamSection.PpoParams);
        string[] effort = ["torques", "dof_vel", "dof_acc"]; // kept at their defaults
        AssertCentredOn("vbot_nav_rewards", RlTune.Envs.VbotNav.VbotNavTerms.All.Where(t => !effort.Contains(t.Name)).ToList());
    }

    [Fact]
    public void VbotNavJointsDefaultsAreMotrixLabsDefaultsAndItsWeightsRangeAsVbotNavRewards()
    {
        // the defaults configuration is the baseline a study on it must beat: rl_cfgs.py's PPO and cfg.py's weights
        var joint = Presets.Load("vbot_nav_joint");
        var defaults = joint.Defaults();
        var rl = RlTune.Envs.Builtin.BuiltinEnvs.VbotNavRlDefaults();
        var ppo = joint.Params.Where(p => p.Section == ParamSection.PpoParams).ToList();
        Assert.Equal(["entropy_loss_scale", "learning_epochs", "learning_rate", "mini_batches", "num_envs", "rollouts"], ppo.Select(p => p.Name).Order());
        foreach (var p in ppo)
            Assert.Equal(double.Parse(rl[p.Name]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture), RlTune.Trials.ParamValues.AsDouble(defaults[p.Name]));
        var rewards = Presets.Load("vbot_nav_rewards").Params.ToDictionary(p => p.Name);
        var weights = joint.Params.Where(p => p.Section == ParamSection.RewardWeights).ToList();
        Assert.Equal(9, weights.Count);
        foreach (var w in weights)
        {
            var r = rewards[w.Name];
            Assert.Equal((r.Low, r.High, r.Category, Convert.ToDouble(r.DefaultValue)), (w.Low, w.High, w.Category, Convert.ToDouble(w.DefaultValue)));
        }
        Assert.Equal("[128,64,32]", RlTune.Trials.ParamValues.Canonical(joint.Fixed["policy_hidden_layer_sizes"]));
        Assert.Equal(true, joint.Fixed["init_at_random_ep_len"]);
        Assert.True(joint.IsFeasible(defaults));
    }

    [Fact]
    public void TheDocumentedCurriculumRunsTheAnchorPresetsPriorsFirstAndItsThreeRings()
    {
        var docs = Path.Combine(AppContext.BaseDirectory, "TestData", "docs");
        var s = RlTune.Study.StudySettingsLoader.Load(Path.Combine(docs, "vbot_nav_curriculum.yaml")).Validated("vbot_nav_curriculum.yaml");
        Assert.Equal(RlTune.Study.StudyMode.Full, s.Mode);
        Assert.Equal(["[2,5]", "[5,8]", "[8,11]"], s.Stages.Select(x => x.EnvOverrides["spawn_ring"]!.ToJsonString()));
        var space = Presets.Load(s.Preset!);
        var first = Assert.Single(SeedConfigs.Load(Assert.Single(s.SeedConfigs), space));
        Assert.Equal(space.Defaults(), first);
        // the anchor's PPO and nets are fixed, so a warm start from an anchor run keeps its network
        Assert.Equal("[128,64,32]", RlTune.Trials.ParamValues.Canonical(space.Fixed["policy_hidden_layer_sizes"]));
    }

    /// <summary>The preset searches exactly these terms, each from about a third to about three times its default (whichever its sign), in its category.</summary>
    private static void AssertCentredOn(string preset, IReadOnlyList<RlTune.Envs.RewardTermInfo> terms)
    {
        var weights = Presets.Load(preset).Params.Where(p => p.Section == ParamSection.RewardWeights).ToDictionary(p => p.Name);
        Assert.Equal(terms.Select(t => t.Name).Order(), weights.Keys.Order());
        foreach (var term in terms)
        {
            var p = weights[term.Name];
            Assert.Equal(term.DefaultWeight, Convert.ToDouble(p.DefaultValue), 12);
            Assert.Equal(term.Category, p.Category);
            double lo = Math.Min(Math.Abs(p.Low), Math.Abs(p.High)), hi = Math.Max(Math.Abs(p.Low), Math.Abs(p.High));
            Assert.InRange(lo / Math.Abs(term.DefaultWeight), 0.25, 0.45);
            Assert.InRange(hi / Math.Abs(term.DefaultWeight), 2.5, 3.5);
        }
    }

    [Fact]
    public void UnknownPresetNamesTheKnownOnes()
    {
        var e = Assert.Throws<UserError>(() => Presets.Resolve("quick"));
        Assert.Contains("quick_validation_ppo", e.Message);
    }

    [Fact]
    public void PresetFilesInTheRepoMatchTheEmbeddedOnes()
    {
        var dir = FindPresetsDir();
        foreach (var name in Presets.Names)
            Assert.Equal(File.ReadAllText(Path.Combine(dir, name + ".yaml")), Presets.Text(name));
    }

    private static string FindPresetsDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "presets", "full_unified.yaml"))) return Path.Combine(d.FullName, "presets");
        throw new DirectoryNotFoundException("presets/ not found above the test binaries");
    }
}
