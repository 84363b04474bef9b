# Train-Digits: train a two-layer network on the built-in Digits data (1,797 8x8 images of handwritten
# digits) and measure it on data it never saw.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Train-Digits.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'The data: one object of 1,797 samples x 64 pixels in [0,1], 10 classes, with its authors'' credit' {
    $digits = Import-Dataset -Name Digits
    $digits
    $digits.Attribution
}

Show-Example 'Hold out a stratified quarter, train on the rest, and measure on the held-out part' {
    $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
    Test-Mlp -Network $net -Dataset $test
}

Show-Example 'The shortest pipeline: the network carries its dataset to Invoke-Training, which emits it trained' {
    Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 | Invoke-Training -Epochs 20
}

Show-Example 'A new network takes its input and class counts from the dataset, and keeps the dataset' {
    $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 -Seed 1
    $net
    "Sized from, and carrying: $($net.Dataset)"
}

Show-Example 'Three parts: watch validation loss and accuracy epoch by epoch' {
    $train, $validation, $test = Import-Dataset -Name Digits |
        Split-Dataset -TestFraction 0.2 -ValidationFraction 0.2 -Stratify -Seed 1
    $net = New-Mlp -Dataset $train -HiddenSize 64 -Seed 1
    $net = Invoke-Training -Network $net -Dataset $train -Epochs 20 -BatchSize 32 -LearningRate 0.05 `
        -Regularization 1e-4 -Momentum 0.9 -Seed 1 -ValidationDataset $validation
    $net.History | Format-Table
}

Show-Example 'The dataset can come down the pipeline instead of the network; per-class figures' {
    $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
    $result = $test | Test-Mlp -Network $net
    $result.ConfusionMatrix.PerClass() | Format-Table
}
