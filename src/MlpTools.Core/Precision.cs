namespace MlpTools.Core;

/// <summary>The floating-point precision a network computes in.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "Single and Double are the names users know these precisions by.")]
public enum Precision
{
    /// <summary>32-bit floats: the fast default for training.</summary>
    Single,
    /// <summary>64-bit floats: for gradient checks and exact comparison with a reference.</summary>
    Double,
}
