# Train-Options: the training people expect, from PowerShell: Adam and friends, learning-rate schedules,
# validation with early stopping, a live log of every epoch, checkpoints, class weights and feature scaling.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Train-Options.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'Adam with a fifth of the data held out for validation, stopping once validation loss stalls' {
    $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 -Seed 1 |
        Invoke-Training -Optimizer Adam -Epochs 200 -ValidationFraction 0.2 -Patience 5 -Seed 1
    $net.StopReason
    $net.History | Select-Object -Last 3
}

Show-Example 'Log every epoch to CSV as it ends, and still get the network from the same pipeline' {
    $log = Join-Path ([IO.Path]::GetTempPath()) 'digits-history.csv'
    Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 -Seed 1 |
        Invoke-Training -Epochs 10 -ValidationFraction 0.2 -Seed 1 -StreamHistory -NetworkVariable net |
        Export-Csv -Path $log
    Import-Csv -Path $log | Select-Object -Last 3 | Format-Table Epoch, Loss, ValidationLoss, GradientNormW1
    $net
}

Show-Example 'Schedules: Nesterov momentum, the rate decayed every epoch and halved whenever validation loss stalls' {
    $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 -Seed 1 |
        Invoke-Training -LearningRate 0.1 -Momentum 0.9 -Nesterov -LearningRateDecay 0.97 -PlateauPatience 2 `
            -PlateauFactor 0.5 -MinLearningRate 1e-4 -Epochs 30 -ValidationFraction 0.2 -Seed 1
    $net.History | Select-Object -Last 5
}

Show-Example 'Checkpoints: the best network so far is always complete on disk, even if training is stopped' {
    $path = Join-Path ([IO.Path]::GetTempPath()) 'digits-best.safetensors'
    $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 -Seed 1 |
        Invoke-Training -Optimizer Adam -Epochs 100 -ValidationFraction 0.2 -Patience 5 -Seed 1 -CheckpointPath $path
    'Epoch {0} of {1} is the best; it is in {2} ({3:N0} bytes)' -f $net.BestEpoch, $net.History.Count, $path, (Get-Item $path).Length
}

Show-Example 'Class weights: with few 8s to learn from, -ClassWeight Balanced makes each 8 count for more' {
    $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
    $labels = $train.Labels
    $fewEights = $train.Subset([int[]](0..($train.Count - 1) | Where-Object { $labels[$_] -ne 8 -or $_ % 20 -eq 0 }))
    $plain = $fewEights | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
    $balanced = $fewEights | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1 -ClassWeight Balanced
    $plain, $balanced | ForEach-Object {
        (Test-Mlp -Network $_ -Dataset $test).ConfusionMatrix.PerClass() | Where-Object Class -EQ '8'
    } | Format-Table
}

Show-Example 'L-BFGS on the whole set, on features standardized once and kept by the network' {
    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Optimizer Lbfgs -Epochs 500 -Scaling Standardize -Seed 1
    '{0}; the network keeps its {1}' -f $net.StopReason, $net.Preprocessor
    'Training accuracy: {0:P1}' -f ($net | Test-Mlp).Accuracy
}
