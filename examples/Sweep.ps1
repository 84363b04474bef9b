# Sweep: many trainings at once, to choose hidden sizes, learning rates and the rest. Invoke-MlpSweep trains one
# network per trial (a grid, or a random search), scores each on held-out data or by cross-validation, and writes one
# result per trial as it finishes, with its settings as properties; the best is marked when the sweep ends and keeps
# its network. Trials run side by side on this machine's cores, or in PowerShell sessions on other machines.
#
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Sweep.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'A grid: every hidden size with every learning rate, two trials at a time, the best network kept' {
    $digits = Import-Dataset -Name Digits
    $results = $digits | Invoke-MlpSweep @{ HiddenSize = 32, 64, 128; LearningRate = 0.1, 0.02 } -Seed 1 -ThrottleLimit 2
    $results | Sort-Object Score -Descending | Format-Table
    $best = $results | Where-Object IsBest
    $best.Network
}

Show-Example 'A random search: log-uniform learning rates, whole-number hidden sizes, two optimizers, 3-fold cross-validation' {
    $space = [ordered]@{
        LearningRate   = @{ LogUniform = 1e-3, 0.3 }
        HiddenSize     = @{ Integer = 16, 128 }
        Optimizer      = 'Sgd', 'Adam'
        Regularization = @{ LogUniform = 1e-5, 1e-2 }
    }
    Import-Dataset -Name Digits | Invoke-MlpSweep $space -TrialCount 8 -Folds 3 -Seed 7 |
        Sort-Object Score -Descending | Select-Object -First 3 |
        Format-Table Trial, LearningRate, HiddenSize, Optimizer, Regularization, Score, ScoreSpread
}

Show-Example 'Settings of one optimizer in a table of their own; read the sweep as a table and save it as CSV' {
    $space = @(
        @{ HiddenSize = 64; Optimizer = 'Sgd'; Momentum = 0.5, 0.9; LearningRate = 0.1, 0.03 }
        @{ HiddenSize = 64; Optimizer = 'Adam'; LearningRate = 0.003, 0.001 }
    )
    $results = Import-Dataset -Name Digits | Invoke-MlpSweep $space -Seed 3 -KeepNetwork None
    $results | Group-Object Optimizer | ForEach-Object {
        [pscustomobject]@{ Optimizer = $_.Name; Trials = $_.Count; BestScore = ($_.Group.Score | Measure-Object -Maximum).Maximum }
    }
    $results | Export-Csv -Path (Join-Path ([IO.Path]::GetTempPath()) 'sweep.csv')
}

Show-Example 'A trial that diverges is a result marked Failed, with its error; the sweep goes on' {
    Import-Dataset -Name Digits | Invoke-MlpSweep @{ HiddenSize = 32; LearningRate = 0.1, 1e6 } -Seed 1 |
        Format-Table Trial, LearningRate, Status, Score, Error -Wrap
}
