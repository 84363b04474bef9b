# See-Inside: everything a training run shows, on the Digits. The sanity checks first, then training with
# validation, the network's summary, its history as a chart in the terminal, and four pictures as PNG files:
# the history, the confusion matrix of a held-out test, the first layer's weights and the training diagnostics.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/See-Inside.ps1 [-OutFolder <folder for the pictures>]

param([string] $OutFolder = (Join-Path ([IO.Path]::GetTempPath()) 'mlptools-see-inside'))

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

$null = New-Item -ItemType Directory -Path $OutFolder -Force
$train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1

# Before trusting a network: does it start at ln C, does lambda raise the loss, are the gradients right, can it
# overfit 20 samples, are the first updates about 1e-3 of the weights?
$train | Test-MlpSanity -HiddenSize 64 -Seed 1 | Format-Table Check, Passed, Measured -AutoSize

# Train with a validation part held out of the training data, keeping the best epoch's weights.
$net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 30 -ValidationFraction 0.2 -Seed 1

$net | Get-MlpSummary
$net | Show-MlpHistory -LogScale
$last = $net.History[-1].Diagnostics
'Last epoch: W1 update/weight ratio {0:G3}, dead ReLUs {1:P1}' -f $last.W1.UpdateRatio, $last.DeadUnitShare

$net | Export-MlpPlot -Kind History -Path (Join-Path $OutFolder 'history.png') -Force
$net | Test-Mlp -Dataset $test | Export-MlpPlot -Kind ConfusionMatrix -Path (Join-Path $OutFolder 'confusion.png') -Force
$net | Export-MlpPlot -Kind Weights -Path (Join-Path $OutFolder 'weights.png') -Force
$net | Export-MlpPlot -Kind Diagnostics -Path (Join-Path $OutFolder 'diagnostics.png') -Force
Get-ChildItem -LiteralPath $OutFolder -Filter *.png | Format-Table Name, Length
