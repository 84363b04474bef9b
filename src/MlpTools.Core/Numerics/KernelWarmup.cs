using System.Reflection;
using System.Runtime.CompilerServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// Compiles the engine's hot code ahead of its first use, on a background thread: every method marked
/// <see cref="MethodImplOptions.AggressiveOptimization"/> (the kernels, the products' tiles, the gather, the
/// optimizers' steps, the training loop), for float and double networks. Those methods are compiled fully optimized
/// when first called, and in a fresh process that compilation fell inside the first epoch of the first training: about
/// 130 ms on the training's thread and more on the kernel workers, which made a 1-epoch call cost far more than one
/// epoch of a longer one. Started when the module is imported, it runs while the session reads its data.
/// </summary>
/// <remarks>
/// Compiling changes no result: the same code runs, only sooner compiled. A method the training needs before the
/// warm-up reaches it is compiled by the training as before (the runtime compiles each method once).
/// </remarks>
internal static class KernelWarmup
{
    private static int s_startedSingle, s_startedDouble;

    /// <summary>
    /// Starts compiling the hot code for networks of <paramref name="precision"/> on a background thread (once per
    /// process and precision; later calls do nothing). The module asks for single precision when it is imported, and a
    /// double-precision network asks for its own when it is made (compiling both at import would keep a core busy
    /// during the first single-precision training).
    /// </summary>
    public static void Start(Precision precision)
    {
        Type element = precision == Precision.Double ? typeof(double) : typeof(float);
        if (Interlocked.Exchange(ref precision == Precision.Double ? ref s_startedDouble : ref s_startedSingle, 1) != 0) return;
        var thread = new Thread(() =>
        {
            // A warm-up is only an early start: whatever stops it (a dependency that cannot load in this session, which
            // the commands report themselves) must not end the process, as an exception on this thread would.
#pragma warning disable CA1031
            try { CompileAll(element); }
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
    /// Compiles every hot method of the engine for <paramref name="element"/> (float or double) and those of no element
    /// type, skipping instantiations the processor cannot run (a tile type whose <c>IsSupported</c> is false); returns
    /// the methods prepared (one already compiled costs next to nothing).
    /// </summary>
    internal static int CompileAll(Type element)
    {
        Type[] types = typeof(KernelWarmup).Assembly.GetTypes();
        // Closed forms of the one-parameter generic types (tiles, jobs), the candidates for a second type parameter.
        List<Type> companions = types.Where(t => t.IsGenericTypeDefinition && t.GetGenericArguments().Length == 1)
            .Select(t => Close(t, element)).OfType<Type>().Where(Supported).ToList();
        IEnumerable<Type> closedTypes = types.Where(t => t.GetMethods(AllDeclared).Any(IsHot)).SelectMany(t => Instantiations(t, element, companions));
        int compiled = 0;
        foreach (Type closed in closedTypes)
        {
            RuntimeTypeHandle[]? arguments = closed.IsGenericType ? closed.GetGenericArguments().Select(a => a.TypeHandle).ToArray() : null;
            foreach (MethodInfo method in closed.GetMethods(AllDeclared).Where(m => IsHot(m) && !m.IsAbstract))
            {
                if ((method.IsGenericMethodDefinition ? ElementForm(method, element) : method) is not { } form) continue;
                RuntimeHelpers.PrepareMethod(form.MethodHandle, arguments);
                compiled++;
            }
        }
        return compiled;
    }

    private static bool IsHot(MethodInfo m) => (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0;

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
