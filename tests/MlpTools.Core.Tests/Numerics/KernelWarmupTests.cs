using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

public class KernelWarmupTests
{
    [Fact]
    public void Compiles_the_hot_methods_for_float_and_double_without_an_error()
    {
        // Every kernel over float and double, the products' tiles and the training loop: well over a hundred forms.
        int compiled = KernelWarmup.CompileAll();
        Assert.InRange(compiled, 100, 1000);
        Assert.Equal(compiled, KernelWarmup.CompileAll());
    }
}
