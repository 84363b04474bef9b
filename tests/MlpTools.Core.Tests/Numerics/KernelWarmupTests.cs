using System.Reflection;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Numerics;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Numerics;

public class KernelWarmupTests
{
    [Fact]
    public void Compiles_the_hot_methods_and_the_first_call_code_for_float_and_double_without_an_error()
    {
        // Every kernel over float and double, the products' tiles, the training loop, then options, run and buffers.
        int single = KernelWarmup.CompileAll(typeof(float), Array.Empty<Type>());
        int dbl = KernelWarmup.CompileAll(typeof(double), Array.Empty<Type>());
        Assert.InRange(single, 400, 4000);
        Assert.InRange(dbl, 400, 4000);
        Assert.Equal(single, KernelWarmup.CompileAll(typeof(float), Array.Empty<Type>()));
        // The same hot methods for both precisions.
        static int Hot(Type element) => KernelWarmup.Forms(element, Array.Empty<Type>())
            .Count(f => (f.Form.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0);
        Assert.Equal(Hot(typeof(float)), Hot(typeof(double)));
    }

    [Fact]
    public void No_hot_method_implements_an_interface_which_the_warm_up_could_not_compile_ahead()
    {
        // RuntimeHelpers.PrepareMethod compiles an override but leaves an interface's implementation to its first call
        // (the kernel jobs' Execute were, inside a first training's first batches): the hot path uses overrides.
        foreach (Type element in new[] { typeof(float), typeof(double) })
        {
            var hot = KernelWarmup.Forms(element, Array.Empty<Type>()).Select(f => f.Form).OfType<MethodInfo>()
                .Where(m => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0).ToList();
            Assert.Contains(hot, m => m.Name == "Execute" && m.DeclaringType!.BaseType == typeof(KernelJob));
            foreach (MethodInfo method in hot.Where(m => m.IsVirtual))
            {
                Type type = method.DeclaringType!;
                bool implementsInterface = type.GetInterfaces().Any(i => type.GetInterfaceMap(i).TargetMethods.Contains(method));
                Assert.False(implementsInterface, $"{type}.{method.Name} implements an interface");
            }
        }
    }

    [Fact]
    public void The_hot_methods_come_first_then_the_code_a_call_runs_once_and_the_callers_with_their_nested_types()
    {
        var forms = KernelWarmup.Forms(typeof(float), new[] { typeof(Caller) }).Select(f => f.Form).ToList();
        static bool Hot(MethodBase m) => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0;
        int firstCold = forms.FindIndex(m => !Hot(m));
        Assert.True(firstCold > 50);
        Assert.True(forms.Take(firstCold).All(Hot));

        // The per-call path of a float training: what the runtime compiled on the caller's thread in a first call.
        string[] expected =
        {
            "Trainer.Train", "TrainingOptions..ctor", "TrainingOptions.Validate", "BatchBuffers`1[Single]..ctor",
            "Mlp`1[Single].ForEachBatch", "Mlp.Accept", "ParameterSet`1[Single].Clone", "KernelThreads.Join",
            "Caller.Run", "Nested..ctor",
        };
        var names = forms.Skip(firstCold).Select(m => Name(m.DeclaringType!) + "." + m.Name).ToHashSet();
        foreach (string name in expected) Assert.Contains(name, names);
        // The settings' generic accessors over the settings' types, not only the element type.
        Assert.Contains(forms, m => m.Name == "Value" && m.DeclaringType == typeof(TrainingOptions) && m.GetGenericArguments().SequenceEqual(new[] { typeof(int) }));
        // Over the element type only: no double forms in a float warm-up.
        Assert.DoesNotContain(forms, m => m.DeclaringType!.IsGenericType && m.DeclaringType.GetGenericArguments().Contains(typeof(double)));
        // Not the code of other commands (reading and writing files, pictures).
        Assert.DoesNotContain(forms, m => m.DeclaringType!.Namespace is "MlpTools.Core.Persistence" or "MlpTools.Core.Inspection");

        static string Name(Type t) => t.IsGenericType ? t.Name + "[" + string.Join(",", t.GetGenericArguments().Select(a => a.Name)) + "]" : t.Name;
    }

    [Fact]
    public void Only_the_tile_family_the_products_use_is_compiled()
    {
        foreach (Type element in new[] { typeof(float), typeof(double) })
        {
            bool avx512 = element == typeof(float) ? Avx512Tiles<float>.IsSupported : Avx512Tiles<double>.IsSupported;
            Type used = (avx512 ? typeof(Avx512Tiles<>) : typeof(VectorTiles<>)).MakeGenericType(element);
            Type unused = (avx512 ? typeof(VectorTiles<>) : typeof(Avx512Tiles<>)).MakeGenericType(element);
            Assert.Equal(unused, KernelWarmup.UnusedTiles(element));
            var forms = KernelWarmup.Forms(element, Array.Empty<Type>()).Select(f => f.Form).ToList();
            static bool Involves(MethodBase m, Type tiles) => m.DeclaringType == tiles || m.DeclaringType!.GetGenericArguments().Contains(tiles);
            Assert.DoesNotContain(forms, m => Involves(m, unused));
            // The family in use: its tiles and the product driver over them.
            Assert.Contains(forms, m => m.DeclaringType == used);
            Assert.Contains(forms, m => m.DeclaringType!.IsGenericType && m.DeclaringType.GetGenericTypeDefinition() == typeof(GemmDriver<,>)
                && m.DeclaringType.GetGenericArguments()[1] == used);
        }
    }

    private sealed class Caller
    {
        public static void Run() => _ = new Nested();

        private sealed class Nested
        {
        }
    }

    [Fact]
    public void A_warm_up_changes_no_result()
    {
        Dataset data = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 200).ToArray());
        Mlp before = Mlp.Create(64, 8, 10, seed: 2), after = before.Clone();
        var options = new TrainingOptions { Epochs = 2, Seed = 4 };
        TrainingState a = Trainer.Train(before, data, options);
        KernelWarmup.CompileAll(typeof(float), Array.Empty<Type>());
        TrainingState b = Trainer.Train(after, data, options.Clone());
        Assert.Equal(a.History.Select(r => r.Loss), b.History.Select(r => r.Loss));
    }
}
