# Demo: train a two-layer network on the built-in Digits data set and evaluate it.
# Run it with `dotnet pwsh ./build.ps1 -Task Demo`, which builds the module first and passes its
# path in $env:MLPTOOLS_MODULE_PATH; run by hand, it uses the newest build under output/.

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

# The held-out quarter is measured after every epoch (-ValidationDataset), so the history shows its loss and
# accuracy epoch by epoch next to the training figures; Test-Mlp then gives its accuracy and confusion matrix for the
# weights the network kept (those of its best epoch by that validation loss).
$train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
$net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1 -ValidationDataset $test
$net.History | Format-Table
Test-Mlp -Network $net -Dataset $test
