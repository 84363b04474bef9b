@{
    RootModule           = 'MlpTools.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '79bcc33f-468e-4d22-90e4-321a16ac74c7'
    Author               = 'MlpTools'
    CompanyName          = 'MlpTools'
    Copyright            = '(c) 2026 MlpTools contributors. MIT License.'
    Description          = 'Build, train and inspect a two-layer neural-network classifier (ReLU hidden layer, softmax output, cross-entropy loss with L2 regularization) from PowerShell. Load the built-in Digits and Spiral sets, CSV/TSV or IDX (MNIST) files; train with SGD, Adam, RMSProp or L-BFGS, with early stopping, class weights and input scaling; evaluate with a confusion matrix; see every quantity of backpropagation as an object and check the gradients numerically; sweep settings across cores or sessions; save models; draw PNG plots. Objects, not text: weights and gradients are MathNet.Numerics matrices. Carries its native drawing libraries (SkiaSharp) for Linux x64 and arm64, macOS and Windows x64.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # Loaded before the type data is processed: it names engine types (TargetTypeForDeserialization), which PowerShell
    # resolves while it reads the file, before anything else has loaded the engine.
    RequiredAssemblies   = @('MlpTools.Core.dll')
    FormatsToProcess     = @('MlpTools.Format.ps1xml')
    TypesToProcess       = @('MlpTools.Types.ps1xml')
    CmdletsToExport      = @(
        'Import-Dataset'
        'Split-Dataset'
        'New-Mlp'
        'Invoke-Training'
        'Invoke-MlpSweep'
        'Test-Mlp'
        'Get-MlpGradient'
        'Test-MlpGradient'
        'ConvertTo-Dataset'
        'Invoke-MlpPrediction'
        'Export-Mlp'
        'Export-MlpOnnx'
        'Import-Mlp'
        'Export-Dataset'
        'Get-MlpSummary'
        'Show-MlpHistory'
        'Test-MlpSanity'
        'Export-MlpPlot'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        # What a gallery shows. The platform tags (Linux, MacOS, Windows) are those of NativeRuntimes below, whose
        # native libraries the package carries; the tests hold the two lists together. No project address is
        # published yet: ProjectUri and LicenseUri name the repository's intended home.
        PSData = @{
            Tags                     = @('MachineLearning', 'NeuralNetwork', 'MLP', 'Backpropagation', 'Classification',
                'PSEdition_Core', 'Linux', 'MacOS', 'Windows')
            ProjectUri               = 'https://github.com/mlptools/MlpTools'
            LicenseUri               = 'https://github.com/mlptools/MlpTools/blob/main/LICENSE'
            RequireLicenseAcceptance = $false
            ReleaseNotes             = @'
0.1.0, the first release: a two-layer classifier (affine, ReLU, affine, softmax) with its backpropagation visible
step by step (Get-MlpGradient -Trace) and checked numerically (Test-MlpGradient); Digits, Spiral, CSV/TSV and IDX
datasets with tab completion of CSV column names; SGD with momentum, Adam, RMSProp and L-BFGS; early stopping,
class weights and input scaling; sweeps in parallel or over PowerShell sessions (Invoke-MlpSweep); a model file
format of its own (Export-Mlp, Import-Mlp); PNG plots of the history, diagnostics, weights and confusion matrix
(Export-MlpPlot). PowerShell 7.4 or later, on Linux (x64, arm64), macOS and Windows (x64).
'@
        }
        # The platforms the module ships the native drawing libraries for (SkiaSharp's and HarfBuzzSharp's, which
        # Export-MlpPlot draws with), under runtimes/<platform>/native/ or, for macOS's universal libraries,
        # runtimes/osx/native/. The build lays them out from this list and the tests check every one.
        NativeRuntimes = @('linux-x64', 'linux-arm64', 'osx-arm64', 'osx-x64', 'win-x64')
    }
}
