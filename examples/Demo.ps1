# Demo: train a two-layer network on the built-in Digits data set and evaluate it.
# Run it with `dotnet pwsh ./build.ps1 -Task Demo`, which builds the module first and passes its
# path in $env:MLPTOOLS_MODULE_PATH; run by hand, it uses the newest build under output/.

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

# Three parts: training data, a validation part measured after every epoch (-ValidationDataset: the history shows
# its loss and accuracy epoch by epoch, and the network keeps the weights of its best epoch by that loss), and a
# held-out quarter that plays no part in training or in choosing the epoch. Test-Mlp reports on that quarter.
$train, $validation, $test = Import-Dataset -Name Digits |
    Split-Dataset -TestFraction 0.25 -ValidationFraction 0.15 -Stratify -Seed 1
$net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1 -ValidationDataset $validation
$net.History | Format-Table
"Held-out accuracy on {0} digits the network never saw:" -f $test.Count
Test-Mlp -Network $net -Dataset $test
