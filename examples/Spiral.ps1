# Spiral: the classic data a linear classifier cannot separate (interleaved arms in the plane), and a
# two-layer network that can.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Spiral.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'Three arms of 100 points each; the same seed gives the same points' {
    Import-Dataset -Name Spiral -ClassCount 3 -SamplesPerClass 100 -Seed 1
}

Show-Example 'About 200 epochs at the default learning rate and batch size (300 points make 10 batches an epoch)' {
    $spiral = Import-Dataset -Name Spiral -ClassCount 3 -SamplesPerClass 100 -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training -Epochs 200 -Seed 1
    'Training accuracy: {0:P1}' -f ($net | Test-Mlp).Accuracy
}

Show-Example 'Sized by hand, in float64, with N(0, 0.01^2) starting weights; full-batch steps' {
    $net = New-Mlp -InputSize 2 -HiddenSize 100 -ClassCount 3 -Precision Double -WeightScale 0.01 -Seed 1
    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = Invoke-Training -Network $net -Dataset $spiral -Epochs 300 -BatchSize 300 -LearningRate 1 -Regularization 1e-3 -Seed 1
    $net.History | Select-Object -Last 3 | Format-Table
    'Training accuracy: {0:P1}' -f (Test-Mlp -Network $net -Dataset $spiral).Accuracy
}
