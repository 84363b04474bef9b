# Demo: train a two-layer network on the built-in Digits data set and evaluate it.
# Run it with `dotnet pwsh ./build.ps1 -Task Demo`, which builds the module first and passes its
# path in $env:MLPTOOLS_MODULE_PATH; run by hand, it uses the newest build under output/.

$ErrorActionPreference = 'Stop'

$modulePath = $env:MLPTOOLS_MODULE_PATH
if (-not $modulePath) {
    $modulePath = Get-ChildItem -Path (Join-Path $PSScriptRoot '../output/MlpTools/*/MlpTools.psd1') -ErrorAction Ignore |
        Sort-Object { [version]$_.Directory.Name } | Select-Object -Last 1 -ExpandProperty FullName
}
if (-not $modulePath) { throw "MlpTools is not built yet: run 'dotnet pwsh ./build.ps1' first." }
Import-Module $modulePath

$train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
$net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
$net.History | Format-Table
Test-Mlp -Network $net -Dataset $test
