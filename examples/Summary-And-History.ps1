# Summary-And-History: look at a trained network without leaving the terminal. Get-MlpSummary shows its stages,
# the statistics of its weights, its preprocessing and how it was trained; Show-MlpHistory draws its loss and
# accuracy per epoch as text, which works over SSH and in a log file as well as at the console.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Summary-And-History.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'A network at a glance: its stages, the statistics of its weights, its preprocessing and its training' {
    $train, $validation = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 32 -Seed 1 |
        Invoke-Training -Epochs 15 -Seed 1 -Momentum 0.9 -Scaling Standardize -ValidationDataset $validation
    $net | Get-MlpSummary
}

Show-Example 'The summary is an object: its stages and parameter statistics are tables a script can use' {
    $summary = Import-Dataset -Name Digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1 | Get-MlpSummary
    $summary.Stages | Format-Table
    $summary.Parameters | Where-Object Name -Like 'W*'
}

Show-Example 'The loss and accuracy per epoch as a chart in the terminal, the loss on a log scale' {
    $train, $validation = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 30 -Seed 1 -ValidationDataset $validation
    $net | Show-MlpHistory -LogScale
}

Show-Example 'Chart the epoch records as training streams them, in ASCII for a terminal without Braille' {
    $train, $validation = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $train | New-Mlp -HiddenSize 32 -Seed 1 |
        Invoke-Training -Epochs 30 -Seed 1 -ValidationDataset $validation -StreamHistory |
        Show-MlpHistory -Metric Loss -LogScale -Ascii -Width 60 -Height 6
}
