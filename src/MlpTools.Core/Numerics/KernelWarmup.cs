using System.Reflection;
using System.Runtime.CompilerServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// Compiles the engine's hot code ahead of its first use, on a background thread: every method marked
/// <see cref="MethodImplOptions.AggressiveOptimization"/> (the kernels, the products' tiles, the gather, the
/// optimizers' steps, the training loop), for float and double networks. Those methods are compiled fully optimized
/// when first called, and in a fresh process that compilation fell inside the first epoch of the first training: about
/// 130 ms on the training's thread and more on the kernel workers, which made a 1-epoch call cost far more than one
/// epoch of a longer one. After them it compiles the code a call runs once (options, the run, buffers, the commands'
/// side), which the runtime would compile, unoptimized but method by method, on the caller's thread during its first
/// call. Started when the module is imported, it runs while the session reads its data.
/// </summary>
/// <remarks>
/// Compiling changes no result: the same code runs, only sooner compiled. A method the training needs before the
/// warm-up reaches it is compiled by the training as before (the runtime compiles each method once). The warm-up
/// takes only cores the kernels leave idle: between two methods it waits while jobs keep starting on the kernel
/// threads (<see cref="KernelThreads.WaitForIdleCores"/>), so a training that starts before the warm-up ends has both
/// cores, and the rest is compiled after it. A 3-epoch call of 3072-100-10 started about 0.1 s after its data was read
/// (an uncompressed IDX set of 20,000 samples, before the warm-up's end) took 0.93x the time with the warm-up waiting
/// (10 pairs of fresh sessions; its first epoch 0.82x); after a gzip Fashion-MNIST read, 10-epoch calls of float32
/// 784-100-10 took 1.02x (22 pairs) and 5-epoch calls in float64 1.01x (10 pairs), the same within the noise.
/// </remarks>
internal static class KernelWarmup
{
    private static int s_startedSingle, s_startedDouble, s_callBegun;

    [ThreadStatic]
    private static bool t_warmingUp;

    /// <summary>
    /// Notes that work of the process's own has begun: a training, an evaluation, a prediction or a gradient (each takes
    /// its data through Mlp.Accept), on any thread but the warm-up's. What the warm-up does after compiling (the
    /// module's rehearsal of a first call) gives way to it: that work compiles what it needs itself, and a rehearsal
    /// beside it would only take a core from it.
    /// </summary>
    internal static void NoteCall()
    {
        if (!t_warmingUp && Volatile.Read(ref s_callBegun) == 0) Volatile.Write(ref s_callBegun, 1);
    }

    /// <summary>Whether work of the process's own has begun (see <see cref="NoteCall"/>).</summary>
    internal static bool CallBegun => Volatile.Read(ref s_callBegun) != 0;

    /// <summary>
    /// Starts compiling the hot code for networks of <paramref name="precision"/> on a background thread (once per
    /// process and precision; later calls do nothing). The module asks for single precision when it is imported, and a
    /// double-precision network asks for its own when it is made (compiling both at import would keep a core busy
    /// during the first single-precision training).
    /// </summary>
    /// <param name="precision">The networks' precision.</param>
    /// <param name="callers">
    /// Types outside the engine whose code a training or a prediction runs once per call (the commands), compiled after
    /// the engine's, with the types nested in them.
    /// </param>
    /// <param name="then">
    /// What to run on the same thread once the code is compiled (the module's rehearsal of a first call; see
    /// FirstCallRehearsal in the commands' assembly); what it throws is ignored as the warm-up's own failures are. Its
    /// work does not count as the process's own (<see cref="NoteCall"/>).
    /// </param>
    public static void Start(Precision precision, IReadOnlyList<Type>? callers = null, Action? then = null)
    {
        Type element = precision == Precision.Double ? typeof(double) : typeof(float);
        if (Interlocked.Exchange(ref precision == Precision.Double ? ref s_startedDouble : ref s_startedSingle, 1) != 0) return;
        var thread = new Thread(() =>
        {
            // A warm-up is only an early start: whatever stops it (a dependency that cannot load in this session, which
            // the commands report themselves) must not end the process, as an exception on this thread would.
#pragma warning disable CA1031
            t_warmingUp = true;
            try
            {
                CompileAll(element, callers ?? Array.Empty<Type>());
                then?.Invoke();
            }
            catch (Exception) { }
#pragma warning restore CA1031
        })
        {
            IsBackground = true,
            Priority = ThreadPriority.BelowNormal,
            Name = "MlpTools kernel warm-up",
        };
        thread.Start();
    }

    /// <summary>
    /// Compiles, for <paramref name="element"/> (float or double), first every hot method of the engine (those of no
    /// element type too), skipping instantiations the processor cannot run (a tile type whose <c>IsSupported</c> is
    /// false); then the code a training or a prediction runs once per call (<see cref="FirstCallCode"/>), which the
    /// runtime would otherwise compile on the caller's thread during its first call (about 270 methods, 30 ms of
    /// the first training's compile time). Returns the methods prepared (one already compiled costs next to nothing).
    /// </summary>
    internal static int CompileAll(Type element, IReadOnlyList<Type> callers)
    {
        int compiled = 0;
        foreach ((MethodBase form, RuntimeTypeHandle[]? arguments) in Forms(element, callers))
        {
            // In the background, only on cores the session's kernels leave idle: a training that starts before the
            // warm-up ends compiles what it needs itself, and the rest waits for it.
            if (t_warmingUp) KernelThreads.WaitForIdleCores();
            try
            {
                RuntimeHelpers.PrepareMethod(form.MethodHandle, arguments);
                compiled++;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or BadImageFormatException)
            {
                // A method the runtime will not prepare ahead: it is compiled on its first call, as without a warm-up.
            }
        }
        return compiled;
    }

    /// <summary>
    /// What <see cref="CompileAll"/> compiles, in order: each method's form over <paramref name="element"/>, with its
    /// type's generic arguments.
    /// </summary>
    internal static IEnumerable<(MethodBase Form, RuntimeTypeHandle[]? TypeArguments)> Forms(Type element, IReadOnlyList<Type> callers)
    {
        // The products run on one family of tiles; the other is called only when a caller's options ask for it (tests),
        // and compiling it would be a quarter of the warm-up's work.
        Type unused = UnusedTiles(element).GetGenericTypeDefinition();
        Type[] types = typeof(KernelWarmup).Assembly.GetTypes().Where(t => t != unused).ToArray();
        // Closed forms of the one-parameter generic types (tiles, jobs), the candidates for a second type parameter.
        List<Type> companions = types.Where(t => t.IsGenericTypeDefinition && t.GetGenericArguments().Length == 1)
            .Select(t => Close(t, element)).OfType<Type>().Where(Supported).ToList();
        IEnumerable<Type> firstCall = types.Where(FirstCallCode).Concat(callers.SelectMany(WithNested));
        // The hot methods over the element type; then the rest of the first-call code, whose generic methods also take
        // the types of the settings (TrainingOptions' int, double, bool and object values).
        return Forms(types.Where(t => t.GetMethods(AllDeclared).Any(IsHot)), element, companions, IsHot, new[] { element })
            .Concat(Forms(firstCall, element, companions, m => !IsHot(m), new[] { element, typeof(int), typeof(double), typeof(bool), typeof(object) }));
    }

    private static IEnumerable<(MethodBase, RuntimeTypeHandle[]?)> Forms(IEnumerable<Type> types, Type element, List<Type> companions,
        Func<MethodBase, bool> which, Type[] methodArguments)
    {
        foreach (Type closed in types.SelectMany(t => Instantiations(t, element, companions)))
        {
            RuntimeTypeHandle[]? arguments = closed.IsGenericType ? closed.GetGenericArguments().Select(a => a.TypeHandle).ToArray() : null;
            IEnumerable<MethodBase> methods = closed.GetMethods(AllDeclared).Cast<MethodBase>().Concat(closed.GetConstructors(AllDeclared));
            foreach (MethodBase method in methods.Where(m => which(m) && !m.IsAbstract))
            {
                if (method is MethodInfo { IsGenericMethodDefinition: true } generic)
                {
                    foreach (Type argument in methodArguments.Distinct())
                        if (ElementForm(generic, argument) is { } form) yield return (form, arguments);
                }
                else
                {
                    yield return (method, arguments);
                }
            }
        }
    }

    /// <summary>The family of tiles that products with the default options do not use on this CPU (see Kernels.UsesAvx512Tiles).</summary>
    internal static Type UnusedTiles(Type element)
    {
        bool avx512 = element == typeof(double) ? Kernels.UsesAvx512Tiles<double>(GemmOptions.Default) : Kernels.UsesAvx512Tiles<float>(GemmOptions.Default);
        return (avx512 ? typeof(VectorTiles<>) : typeof(Avx512Tiles<>)).MakeGenericType(element);
    }

    /// <summary>
    /// The engine's code that a training, an evaluation or a prediction runs once per call: the training and model
    /// types (options, the run, the optimizers, buffers, the network), the kernels' thread pool and the dataset, with
    /// the types nested in them.
    /// </summary>
    private static bool FirstCallCode(Type t) =>
        t.Namespace is "MlpTools.Core.Training" or "MlpTools.Core.Model" or "MlpTools.Core.Numerics" || Outermost(t) == typeof(Data.Dataset);

    private static Type Outermost(Type t)
    {
        while (t.DeclaringType is { } outer) t = outer;
        return t;
    }

    private static IEnumerable<Type> WithNested(Type t) => new[] { t }.Concat(t.GetNestedTypes(AllDeclared).SelectMany(WithNested));

    private static bool IsHot(MethodBase m) => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0;

    private const BindingFlags AllDeclared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>A generic method's form over <paramref name="element"/>, or null when its constraints do not allow it.</summary>
    private static MethodInfo? ElementForm(MethodInfo method, Type element)
    {
        try { return method.MakeGenericMethod(Enumerable.Repeat(element, method.GetGenericArguments().Length).ToArray()); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>
    /// The forms of a type over <paramref name="element"/>: the type itself when it is not generic, and for a second
    /// type parameter each supported tile or job type over the same element.
    /// </summary>
    private static IEnumerable<Type> Instantiations(Type type, Type element, List<Type> companions)
    {
        if (!type.IsGenericTypeDefinition)
        {
            yield return type;
            yield break;
        }
        int count = type.GetGenericArguments().Length;
        if (count == 1)
        {
            if (Close(type, element) is { } one) yield return one;
        }
        else if (count == 2)
        {
            foreach (Type companion in companions)
                if (Close(type, element, companion) is { } two) yield return two;
        }
    }

    private static Type? Close(Type definition, params Type[] arguments)
    {
        try { return definition.MakeGenericType(arguments); }
        catch (ArgumentException) { return null; } // a constraint the arguments do not meet
    }

    /// <summary>False for a tile type whose static IsSupported says this processor cannot run it.</summary>
    private static bool Supported(Type closed) =>
        closed.GetProperty("IsSupported", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is not false;
}
