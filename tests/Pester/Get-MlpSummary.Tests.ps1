BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $savedCulture = [cultureinfo]::CurrentCulture
    [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture

    $train, $validation = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 16 -Seed 1 |
        Invoke-Training -Epochs 6 -Seed 1 -ValidationDataset $validation -Momentum 0.9 -Scaling Standardize
    $summary = $net | Get-MlpSummary
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.GetMlpSummaryCommand" }

    # The statistics of a MathNet matrix or vector, worked out here without the engine.
    function Get-Expected($values) {
        $v = [double[]]@($values)
        $mean = ($v | Measure-Object -Average).Average
        $sumSquares = 0.0; $deviation = 0.0
        foreach ($x in $v) { $sumSquares += $x * $x; $deviation += ($x - $mean) * ($x - $mean) }
        [pscustomobject]@{
            Mean = $mean; StandardDeviation = [math]::Sqrt($deviation / $v.Count)
            Minimum = ($v | Measure-Object -Minimum).Minimum; Maximum = ($v | Measure-Object -Maximum).Maximum
            Norm = [math]::Sqrt($sumSquares); Count = $v.Count
        }
    }
}

AfterAll {
    [cultureinfo]::CurrentCulture = $savedCulture
}

Describe 'Get-MlpSummary' {
    Context 'Pipeline and binding' {
        It 'summarizes a piped network, or one given by name or position' {
            $summary | Should -BeOfType ([MlpTools.Core.Inspection.NetworkSummary])
            (Get-MlpSummary -Network $net).ToString() | Should -BeExactly $summary.ToString()
            (Get-MlpSummary $net).ToString() | Should -BeExactly $summary.ToString()
        }

        It 'gives one summary per piped network' {
            $small = New-Mlp -InputSize 4 -HiddenSize 3 -ClassCount 2 -Seed 1
            @($net, $small | Get-MlpSummary | ForEach-Object Layers) | Should -Be @('64-16-10', '4-3-2')
        }

        It 'summarizes a network read back from a model file the same way, training included' {
            $file = Join-Path $TestDrive 'net.safetensors'
            $net | Export-Mlp -Path $file
            (Import-Mlp -Path $file | Get-MlpSummary).ToString() | Should -BeExactly $summary.ToString()
        }

        It 'refuses what is not a network, and $null, with one error' {
            { $train | Get-MlpSummary } | Should -Throw -ErrorId (Get-Id InputNotANetwork)
            { Get-MlpSummary -Network $null } | Should -Throw -ErrorId (Get-Id ParameterIsNull)
        }
    }

    Context 'The stages' {
        It 'are typed objects with the shapes and parameter counts of a D-H-C network' {
            $stages = $summary.Stages
            $stages[0] | Should -BeOfType ([MlpTools.Core.Inspection.NetworkStage])
            @($stages.Name) | Should -Be @('Input', 'Affine', 'ReLU', 'Affine', 'Softmax')
            @($stages.Outputs) | Should -Be @(64, 16, 16, 10, 10)
            @($stages.ParameterCount) | Should -Be @(0, (64 * 16 + 16), 0, (16 * 10 + 10), 0)
            @($stages.ParameterShapes)[1, 3] | Should -Be @('W1 64x16, b1 16', 'W2 16x10, b2 10')
            $summary.ParameterCount | Should -Be $net.ParameterCount
            ($stages | Measure-Object ParameterCount -Sum).Sum | Should -Be $net.ParameterCount
        }
    }

    Context 'The parameter statistics' {
        It 'match a direct computation for <Name>' -TestCases @(
            @{ Name = 'W1'; Index = 0 }, @{ Name = 'b1'; Index = 1 }, @{ Name = 'W2'; Index = 2 }, @{ Name = 'b2'; Index = 3 }
        ) {
            $p = $summary.Parameters[$Index]
            $p | Should -BeOfType ([MlpTools.Core.Inspection.ParameterStatistics])
            $p.Name | Should -Be $Name
            $values = $net.$Name
            $expected = Get-Expected $values.Enumerate()
            $p.Count | Should -Be $expected.Count
            foreach ($property in 'Mean', 'StandardDeviation', 'Minimum', 'Maximum', 'Norm') {
                $p.$property | Should -BeOfType ([double])
                [math]::Abs($p.$property - $expected.$property) | Should -BeLessOrEqual (1e-9 * [math]::Max(1, [math]::Abs($expected.$property))) -Because $property
            }
            if ($Name -like 'W*') {
                "$($p.Rows)x$($p.Columns)" | Should -Be ('{0}x{1}' -f $values.RowCount, $values.ColumnCount)
                # MathNet's own norm of a Single matrix, summed in Single: the same to its precision.
                [math]::Abs($p.Norm - $values.FrobeniusNorm()) | Should -BeLessThan (1e-6 * $p.Norm)
            }
            else { $p.Shape | Should -Be "$($values.Count)" }
        }
    }

    Context 'Preprocessing and training' {
        It 'names the preprocessing, or none' {
            $summary.Preprocessor.Kind | Should -Be 'Standardize'
            (New-Mlp -InputSize 4 -HiddenSize 3 -ClassCount 2 | Get-MlpSummary).Preprocessor | Should -BeNullOrEmpty
        }

        It 'tells how the network was trained: epochs, best epoch and record, stop reason, optimizer and its settings' {
            $summary.Epochs | Should -Be 6
            $summary.BestEpoch | Should -Be $net.BestEpoch
            $summary.BestRecord | Should -Be $net.BestRecord
            $summary.StopReason | Should -Be $net.StopReason
            $summary.Optimizer | Should -Be 'Sgd'
            $summary.LearningRate | Should -Be $net.History[-1].LearningRate
            @($summary.OptimizerSettings.Key) | Should -Be @('Momentum', 'Nesterov')
            @($summary.OptimizerSettings.Value) | Should -Be @(0.9, $false)
        }

        It 'reads the optimizer settings from the training state, which shows them by name' {
            $adam = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 8 -Seed 1 |
                Invoke-Training -Epochs 2 -Seed 1 -Optimizer Adam -Beta1 0.8
            @($adam.Training.OptimizerSettings.Key) | Should -Be @('Beta1', 'Beta2', 'Epsilon')
            $adam.Training.OptimizerSettings[0].Value | Should -Be 0.8
            ($adam | Get-MlpSummary).ToString() | Should -Match 'Optimizer\s+Adam: Beta1 0\.8, Beta2 0\.999, Epsilon 1E-08'
        }

        It 'says a new network is not trained' {
            $text = New-Mlp -InputSize 4 -HiddenSize 3 -ClassCount 2 | Get-MlpSummary | Out-String
            $text | Should -Match 'not trained'
            $text | Should -Match 'Training\s+none: a new network'
            $text | Should -Not -Match 'Optimizer'
        }
    }

    Context 'The default view' {
        It 'shows the stage table, the statistics table and the training within 80 columns: <Case>' -TestCases @(
            @{ Case = 'Digits, trained with validation' }
            @{ Case = '784-1024-10, new' }
        ) {
            $s = if ($Case -like 'Digits*') { $summary } else { New-Mlp -InputSize 784 -HiddenSize 1024 -ClassCount 10 -Seed 1 | Get-MlpSummary }
            $text = $s | Out-String -Width 80
            $lines = $text -split '\r?\n'
            $lines | Where-Object { $_.Length -gt 79 } | Should -BeNullOrEmpty
            $text | Should -Not -Match '…'
            $text | Should -Match ('(?m)^Mlp {0}, Single precision, {1:N0} parameters' -f $s.Layers, $s.ParameterCount)
            $text | Should -Match '(?m)^Stage\s+Computes\s+Output\s+Parameters\s+Count$'
            $text | Should -Match ('(?m)^Affine\s+Hpre = X W1 \+ b1\s+m x {0}\s+W1 {1}x{0}, b1 {0}\s+{2:N0}$' -f $s.HiddenSize, $s.InputSize, $s.Stages[1].ParameterCount)
            $text | Should -Match ('(?m)^Total\s+{0:N0}$' -f $s.ParameterCount)
            $text | Should -Match '(?m)^Name\s+Shape\s+Mean\s+StdDev\s+Min\s+Max\s+Norm$'
            $w1 = $s.Parameters[0]
            $text | Should -Match ('(?m)^W1\s+{0}x{1}\s+\S+\s+{2:0.0000}\s+{3:0.0000}\s+{4:0.0000}\s+{5:0.0000}$' -f $w1.Rows, $w1.Columns, $w1.StandardDeviation, $w1.Minimum, $w1.Maximum, $w1.Norm)
            $text | Should -Match '(?m)^Preprocessing  '
        }

        It 'shows the best record''s figures and the optimizer line for a trained network' {
            $text = $summary | Out-String -Width 80
            $r = $net.BestRecord
            $expected = 'Best record  epoch {0}: loss {1:0.0000}, accuracy {2:0.0000}, validation loss {3:0.0000}, validation accuracy {4:0.0000}' -f $r.Epoch, $r.Loss, $r.Accuracy, $r.ValidationLoss, $r.ValidationAccuracy
            $text | Should -Match ([regex]::Escape($expected) -replace '\\ ', '\s+')   # wrapped at a space somewhere
            $text | Should -Match 'Optimizer\s+Sgd: Momentum 0\.9, Nesterov off; learning rate 0\.05 \(last epoch\)'
            $text | Should -Match ('Training\s+6 epochs, best epoch {0}\. Completed 6 epochs' -f $net.BestEpoch)
        }

        It 'shows the stages and the statistics as tables of their own' {
            ($summary.Stages | Out-String -Width 80) | Should -Match 'Name\s+Computes\s+Output\s+ParameterShapes\s+ParameterCount'
            ($summary.Parameters | Out-String -Width 80) | Should -Match '(?m)^W1\s+64x16\s'
        }
    }
}
