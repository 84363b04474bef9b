namespace MlpTools.Core.Model;

/// <summary>
/// A sample a network cannot take in its precision: the target of the errors <c>FeatureValueOutOfRange</c> and
/// <c>FeatureValueNotFinite</c> (the value named is the offending one) and <c>NetworkOverflow</c> (the value named is
/// the sample's largest input, after which the network's scores overflowed).
/// </summary>
/// <param name="Row">The sample's row in the dataset, counting from 0.</param>
/// <param name="Feature">The feature's column, counting from 0.</param>
/// <param name="FeatureName">The feature's name.</param>
/// <param name="Value">The value as the dataset holds it.</param>
/// <param name="ScaledValue">What the network's scaling makes of it, computed in double (null when the network does not scale).</param>
/// <param name="Precision">The precision of the network that refused it.</param>
public sealed record InputValueProblem(int Row, int Feature, string FeatureName, double Value, double? ScaledValue, Precision Precision)
{
    /// <summary>What is wrong and what to do, without saying where (the message puts the row or object in front).</summary>
    internal string Explanation { get; init; } = "";

    /// <summary>True when the problem is the value itself (the message names its feature), false when it is the sample's scores.</summary>
    internal bool AboutValue { get; init; }
}
