using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

public class KernelWarmupTests
{
    [Fact]
    public void Compiles_the_hot_methods_for_float_and_double_without_an_error()
    {
        // Every kernel over float and double, the products' tiles and the training loop: dozens of forms of each.
        int single = KernelWarmup.CompileAll(typeof(float)), dbl = KernelWarmup.CompileAll(typeof(double));
        Assert.InRange(single, 60, 600);
        Assert.Equal(single, dbl);
        Assert.Equal(single, KernelWarmup.CompileAll(typeof(float)));
    }
}
