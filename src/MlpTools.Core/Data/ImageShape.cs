namespace MlpTools.Core.Data;

/// <summary>
/// The image a sample's features are the pixels of: <see cref="Rows"/> x <see cref="Columns"/>, stored row by row, so
/// feature <c>r * Columns + c</c> is the pixel in row r, column c (as IDX files and the built-in Digits lay them out).
/// A dataset of images carries it (8x8 for Digits, 28x28 for MNIST), and so does a network made from or trained on
/// one, so a picture of its first-layer weights can show each hidden unit as an image.
/// </summary>
/// <param name="Rows">The image's height in pixels.</param>
/// <param name="Columns">The image's width in pixels.</param>
public readonly record struct ImageShape(int Rows, int Columns)
{
    /// <summary>Rows x Columns: how many features an image of this shape has.</summary>
    public long PixelCount => (long)Rows * Columns;

    /// <summary>"28x28".</summary>
    public override string ToString() => Invariant.Format($"{Rows}x{Columns}");

    /// <summary>
    /// Checks that this shape describes <paramref name="featureCount"/> features: both sizes positive, and their product
    /// the feature count. <paramref name="owner"/> names what the shape is for in the message.
    /// </summary>
    /// <exception cref="MlpException"><c>ImageShapeMismatch</c>.</exception>
    internal void Check(int featureCount, string owner)
    {
        if (Rows <= 0 || Columns <= 0)
            throw MlpException.InvalidData("ImageShapeMismatch",
                Invariant.Format($"An image shape needs a positive number of rows and of columns, but {owner} was given {Rows}x{Columns}."), this);
        if (PixelCount != featureCount)
            throw MlpException.InvalidData("ImageShapeMismatch",
                Invariant.Format($"An image of {Rows}x{Columns} pixels has {PixelCount} features, but {owner} has {featureCount}; give a shape whose rows times columns is {featureCount}."), this);
    }
}
