using System.Collections;
using System.Management.Automation;
using MlpTools.Core.Data;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// The base of the cmdlets that train (Invoke-Training, and Test-MlpSanity's short runs): the training settings they
/// share, declared once, each named as the engine's setting (<see cref="TrainingOptions.Settings"/>), and the one way
/// the parameters given become the engine's options.
/// </summary>
public abstract class TrainingSettingsCmdlet : MlpCmdlet
{
    /// <summary>Sgd (default), Adam, RmsProp or Lbfgs.</summary>
    [Parameter]
    public OptimizerKind? Optimizer { get; set; }

    /// <summary>The step size; by default the optimizer's own (SGD 0.05, Adam and RMSProp 0.001).</summary>
    [Parameter]
    public double? LearningRate { get; set; }

    /// <summary>lambda, the L2 strength.</summary>
    [Parameter]
    public double? Regularization { get; set; }

    /// <summary>Samples per mini-batch.</summary>
    [Parameter]
    public int? BatchSize { get; set; }

    /// <summary>SGD momentum in [0, 1); 0 is plain SGD.</summary>
    [Parameter]
    public double? Momentum { get; set; }

    /// <summary>SGD: Nesterov's momentum.</summary>
    [Parameter]
    public SwitchParameter Nesterov { get; set; }

    /// <summary>Adam's first-moment decay.</summary>
    [Parameter]
    public double? Beta1 { get; set; }

    /// <summary>Adam's second-moment decay.</summary>
    [Parameter]
    public double? Beta2 { get; set; }

    /// <summary>RMSProp's decay of the mean square.</summary>
    [Parameter]
    public double? Rho { get; set; }

    /// <summary>Adam's and RMSProp's epsilon.</summary>
    [Parameter]
    public double? Epsilon { get; set; }

    /// <summary>'Balanced', a hashtable of class name to weight, or one weight per class in class order.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ClassWeightCompleter))]
    public object? ClassWeight { get; set; }

    /// <summary>Feature scaling fitted on the training data, then kept by the network.</summary>
    [Parameter]
    public ScalingKind? Scaling { get; set; }

    /// <summary>The seed for the shuffles (and, where a cmdlet draws more, for that too).</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>
    /// The training settings among the parameters given, as the engine's options: what is not given keeps the engine's
    /// default, and the engine checks what is.
    /// </summary>
    private protected TrainingOptions TrainingOptionsFromParameters()
    {
        var settings = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in MyInvocation.BoundParameters)
            if (TrainingOptions.FindSetting(name) is not null) settings[name] = value;
        return TrainingOptions.FromSettings((IDictionary)NumericInput.Plain(settings)!);
    }
}
