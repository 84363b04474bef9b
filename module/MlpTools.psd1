@{
    RootModule           = 'MlpTools.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '79bcc33f-468e-4d22-90e4-321a16ac74c7'
    Author               = 'MlpTools'
    CompanyName          = 'MlpTools'
    Copyright            = '(c) MlpTools. All rights reserved.'
    Description          = 'Build, train and inspect a two-layer neural-network classifier from PowerShell: datasets, training, evaluation and backpropagation gradients as objects.'
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
        PSData = @{
            Tags = @('MachineLearning', 'NeuralNetwork', 'MLP', 'Backpropagation', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
        }
        # The platforms the module ships the native drawing libraries for (SkiaSharp's and HarfBuzzSharp's, which
        # Export-MlpPlot draws with), under runtimes/<platform>/native/ or, for macOS's universal libraries,
        # runtimes/osx/native/. The build lays them out from this list and the tests check every one.
        NativeRuntimes = @('linux-x64', 'linux-arm64', 'osx-arm64', 'osx-x64', 'win-x64')
    }
}
