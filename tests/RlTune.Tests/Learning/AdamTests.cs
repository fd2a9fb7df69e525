using RlTune.Learning;

namespace RlTune.Tests.Learning;

public sealed unsafe class AdamTests
{
    [Fact]
    public void TwoStepsMatchHandComputedValues()
    {
        // by hand, lr 0.1, betas 0.9/0.999, eps 1e-8, p0 = 1, g = 0.5 then -0.25:
        // t=1: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, p = 1 - 0.1·0.5/0.5 = 0.9
        // t=2: m = 0.045 - 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225,
        //      m̂ = 0.02/0.19 = 0.105263, v̂ = 0.00031225/0.001999 = 0.156203, p = 0.9 - 0.1·0.105263/0.395225 = 0.873366
        var adam = new Adam(1);
        var p = new AlignedBuffer(1);
        var g = new AlignedBuffer(1);
        p.Span[0] = 1f;
        g.Span[0] = 0.5f;
        adam.BeginStep();
        adam.Update(p.Pointer, g.Pointer, 1f, 0.1f, 0, 1);
        Assert.Equal(0.9f, p.Span[0], 5);
        g.Span[0] = -0.25f;
        adam.BeginStep();
        adam.Update(p.Pointer, g.Pointer, 1f, 0.1f, 0, 1);
        Assert.Equal(0.873366f, p.Span[0], 5);
        Assert.Equal(0.02f, adam.FirstMoment.Span[0], 6);
        Assert.Equal(0.00031225f, adam.SecondMoment.Span[0], 8);
    }

    [Fact]
    public void ClipScaleFollowsTorch()
    {
        Assert.Equal(1f, Adam.ClipScale(0.5, 1.0));
        Assert.Equal((float)(1.0 / (4.0 + 1e-6)), Adam.ClipScale(4.0, 1.0));
        Assert.Equal(1f, Adam.ClipScale(4.0, 0)); // 0 turns clipping off
    }
}
