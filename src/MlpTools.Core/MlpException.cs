namespace MlpTools.Core;

/// <summary>What kind of problem an <see cref="MlpException"/> reports; the cmdlets map it to an ErrorCategory.</summary>
public enum MlpErrorKind
{
    /// <summary>A parameter value is out of its allowed range.</summary>
    InvalidArgument,
    /// <summary>Two things that must agree (shapes, counts, class sets) do not.</summary>
    InvalidData,
    /// <summary>The operation cannot run in the current state (for example, training diverged).</summary>
    InvalidOperation,
    /// <summary>A file or resource could not be found.</summary>
    NotFound,
    /// <summary>Something that must not exist yet (a file the user did not ask to replace) already does.</summary>
    AlreadyExists,
}

/// <summary>
/// The one exception the engine throws for a problem the user can fix. <see cref="ErrorId"/> is stable
/// (scripts and tests match on it); the message names the offending value or shape and says what to do, in the
/// engine's terms (its options and arguments, never a cmdlet or a cmdlet parameter: the cmdlets add their own hint by
/// <see cref="ErrorId"/>, from <see cref="Target"/> where it depends on it).
/// </summary>
public sealed class MlpException : Exception
{
    public MlpException(string errorId, MlpErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>A stable identifier such as <c>FeatureCountMismatch</c>.</summary>
    public string ErrorId { get; }

    /// <summary>The kind of problem.</summary>
    public MlpErrorKind Kind { get; }

    /// <summary>The value, shape or object the problem is about.</summary>
    public object? Target { get; }

    /// <summary>
    /// The settings the message names, by the names <see cref="Training.TrainingOptions.Settings"/> gives them (for
    /// example "Momentum"), so that a caller with its own spelling of settings (a command line's -Momentum) can show it.
    /// </summary>
    public IReadOnlyList<string> Settings { get; init; } = Array.Empty<string>();

    internal static MlpException Argument(string errorId, string message, object? target = null) =>
        new(errorId, MlpErrorKind.InvalidArgument, message, target);

    internal static MlpException InvalidData(string errorId, string message, object? target = null) =>
        new(errorId, MlpErrorKind.InvalidData, message, target);

    internal static void RequirePositive(int value, string name, string errorId)
    {
        if (value <= 0)
            throw Argument(errorId, $"{name} must be a positive whole number, but it is {value}.", value);
    }
}
