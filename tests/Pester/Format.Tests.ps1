# Every object the cmdlets emit has a default view in MlpTools.Format.ps1xml, and it really applies.

BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $savedCulture = [cultureinfo]::CurrentCulture
    [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture

    $spiral = Import-Dataset -Name Spiral -Seed 1
    $single = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1
    $double = $spiral | New-Mlp -HiddenSize 8 -Seed 1 -Precision Double | Invoke-Training -Epochs 2 -Seed 1
    $batch = $spiral.Subset([int[]](0..9))
}

AfterAll {
    [cultureinfo]::CurrentCulture = $savedCulture
}

Describe 'Default views' {
    It 'has a view for <TypeName>' -TestCases @(
        @{ TypeName = 'MlpTools.Core.Data.Dataset' }
        @{ TypeName = 'MlpTools.Core.Model.Mlp' }
        @{ TypeName = 'MlpTools.Core.Training.EpochRecord' }
        @{ TypeName = 'MlpTools.Core.Training.TrainingDiagnostics' }
        @{ TypeName = 'MlpTools.Core.Training.ParameterDiagnostics' }
        @{ TypeName = 'MlpTools.Core.Model.Evaluation' }
        @{ TypeName = 'MlpTools.Core.Model.ConfusionMatrix' }
        @{ TypeName = 'MlpTools.Core.Inspection.GradientReport' }
        @{ TypeName = 'MlpTools.Core.Inspection.BackpropTrace' }
        @{ TypeName = 'MlpTools.Core.Inspection.GradientCheckResult' }
        @{ TypeName = 'MlpTools.Core.Model.Prediction' }
        @{ TypeName = 'MathNet.Numerics.LinearAlgebra.Double.Matrix' }
    ) {
        Get-FormatData -TypeName $TypeName | Should -Not -BeNullOrEmpty
    }

    It 'shows a <Precision> network as a table of its layer sizes, precision and epochs' -TestCases @(
        @{ Precision = 'Single' }, @{ Precision = 'Double' }
    ) {
        $net = if ($Precision -eq 'Single') { $single } else { $double }
        $net.PSTypeNames | Should -Contain 'MlpTools.Core.Model.Mlp'
        $text = $net | Out-String -Width 120
        $text | Should -Match 'Layers\s+Precision\s+Epochs\s+BestEpoch\s+Loss\s+Accuracy\s+ValLoss\s+ValAcc'
        $text | Should -Match "2-8-3\s+$Precision\s+2\s+$($net.BestEpoch)\s+\d\.\d{4}\s+\d\.\d{4}"
        $text | Should -Not -Match 'DenseMatrix'
        (New-Mlp -InputSize 784 -HiddenSize 1024 -ClassCount 10 | Out-String -Width 79) | Should -Match '784-1024-10\s+Single\s+0\s'
    }

    It 'shows the figures of the weights a network holds after early stopping, not of its last epoch' {
        $train, $validation = $spiral | Split-Dataset -TestFraction 0.2 -Seed 1
        $net = $train | New-Mlp -HiddenSize 16 -Seed 1 |
            Invoke-Training -Epochs 100 -ValidationDataset $validation -Patience 5 -LearningRate 0.5 -Seed 1
        $net.BestEpoch | Should -BeLessThan $net.History.Count    # the case the view must get right
        $best = $net.History[$net.BestEpoch - 1]
        $net.BestRecord | Should -Be $best
        $text = $net | Out-String -Width 79    # an 80-column console
        $expected = '{0}\s+{1:0.0000}\s+{2:0.0000}\s+{3:0.0000}\s+{4:0.0000}\s*$' -f $net.BestEpoch, $best.Loss, $best.Accuracy, $best.ValidationLoss, $best.ValidationAccuracy
        ($text -split '\r?\n') -match "^2-16-3\s+Single\s+$($net.History.Count)\s+$expected" | Should -Not -BeNullOrEmpty -Because $text
        ($text -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
    }

    It 'shows every loss readably in the history, however large: <Loss>' -TestCases @(
        @{ Loss = 0.0075; Shown = '0.0075' }
        @{ Loss = 1859.1234; Shown = '1859.1234' }
        @{ Loss = 1859000.25; Shown = '1.859E+06' }
        @{ Loss = 1e30; Shown = '1E+30' }
        @{ Loss = 0.00002; Shown = '2E-05' }
        @{ Loss = [double]::NaN; Shown = 'NaN' }
        @{ Loss = [double]::PositiveInfinity; Shown = 'Infinity' }
    ) {
        $record = [MlpTools.Core.Training.EpochRecord]::new(7, $Loss, 0.5, $Loss, 0.25, 0.05, 1859000.25, 0.1, 0.01)
        $text = $record | Out-String -Width 79
        $text | Should -Not -Match '…'
        $text | Should -Match ('\s7\s+{0}\s+0\.5000\s+{0}\s+0\.2500\s+0\.05\s+1\.859E\+06\s' -f [regex]::Escape($Shown))
        ($text -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
    }

    It 'shows the history as a table of epochs that fits 80 columns, with the learning rate and gradient norms' {
        $text = $double.History | Out-String -Width 120
        $text | Should -Match 'Epoch\s+Loss\s+Accuracy\s+ValLoss\s+ValAcc\s+LR\s+\|dW1\|\s+\|dW2\|\s+Seconds'
        $text | Should -Match '\s+2\s+\d\.\d{4}\s+\d\.\d{4}\s+0\.05\s+\d\.\d+\s+\d\.\d+\s+\d+\.\d{3}'
        $train, $validation = $spiral | Split-Dataset -TestFraction 0.2 -Seed 1
        $validated = $train | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1 -ValidationDataset $validation -LearningRateDecay 0.001
        $text = $validated.History | Out-String -Width 79    # an 80-column console
        $text | Should -Match '\s+2\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+5E-05\s'
        ($text -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
        $text | Should -Not -Match '…'
    }

    It 'shows a <Precision> gradient report as a list with the gradients'' shapes' -TestCases @(
        @{ Precision = 'Single' }, @{ Precision = 'Double' }
    ) {
        $net = if ($Precision -eq 'Single') { $single } else { $double }
        $text = $net | Get-MlpGradient -Dataset $batch | Out-String -Width 120
        $text | Should -Match 'DataLoss\s+: \d'
        $text | Should -Match 'dW1\s+: 2x8 matrix'
        $text | Should -Match 'db2\s+: 3 vector'
        $text | Should -Match 'Trace\s+: none \(use -Trace\)'
    }

    It 'shows gradient check results as a table that fits 80 columns, with where each checked gradient came from' {
        $text = $double | Test-MlpGradient -Dataset $batch | Out-String -Width 79    # an 80-column console
        $text | Should -Match 'Parameter\s+Source\s+Entries\s+MaxRelativeError\s+Worst\s+Gradient\s+Numerical\s+Passed'
        $text | Should -Match 'W1\s+Network\s+16\s+\d\.\d\dE-\d\d\s+\[\d,\d\]'
        $text | Should -Match 'b1\s+Network\s+8\s+\S+\s+\[\d\]'
        $text | Should -Match 'True\s*$'
        $text | Should -Not -Match 'Analytic'
        ($text -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
        $given = $double | Test-MlpGradient -Dataset $batch -Gradient @{ W2 = ($double | Get-MlpGradient -Dataset $batch).W2 } | Out-String -Width 79
        $given | Should -Match 'W1\s+Network\s+16\s'
        $given | Should -Match 'W2\s+Given\s+24\s'
        ($given -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
    }

    It 'shows a MathNet matrix as its grid' {
        ($double.W2 | Out-String).Trim() | Should -Match '^DenseMatrix 8x3-Double'
        ($single.W2 | Out-String).Trim() | Should -Match '^DenseMatrix 8x3-Single'
    }

    It 'prints compactly in a script, where a later object of another type is listed rather than tabled' {
        # A -File script's output is formatted as one stream: the dataset sets the table, and the network, the
        # history and the predictions that follow are listed. Their lists show what their tables show, not every
        # property (a network used to print W1 and W2 as 60 lines of numbers).
        Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
        $script = Join-Path $TestDrive 'tour.ps1'
        Set-Content -LiteralPath $script -Value @(
            '$PSStyle.OutputRendering = "PlainText"'
            "Import-Module '$($env:MLPTOOLS_MODULE_PATH)'"
            '$train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1'
            '$train'
            '$net = $train | New-Mlp -HiddenSize 16 -Seed 1'
            '$net | Invoke-Training -Epochs 2 -Seed 1 | Out-Null'
            '$net'
            '$net.History | Select-Object -Last 1'
            'Invoke-MlpPrediction -Network $net -Dataset $test | Select-Object -First 1'
            'Test-MlpGradient -Network $net -Dataset $test.Subset([int[]](0..3)) | Select-Object -First 1'
        )
        $pwsh = @(Get-PwshCommand)
        $text = (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $script 2>&1 | Out-String -Width 200)
        $LASTEXITCODE | Should -Be 0
        $text | Should -Not -Match 'DenseMatrix|DenseVector'
        $text | Should -Match 'Digits \(train\)\s+1348\s+64\s+10'
        $text | Should -Match 'HiddenSize\s+: 16'
        $text | Should -Match 'StopReason\s+: Completed 2 epochs'
        $text | Should -Match 'LearningRate\s+: 0\.05'
        $text | Should -Match 'Predicted\s+: \d'
        $text | Should -Match 'MaxRelativeError\s+: '
        ($text -split "`n").Count | Should -BeLessThan 60
    }

    It 'keeps numbers as numbers on the objects' {
        $e = $double | Test-Mlp
        $e.Accuracy | Should -BeOfType ([double])
        $double.History[0].Loss | Should -BeOfType ([double])
        ($double | Test-MlpGradient -Dataset $batch)[0].MaxRelativeError | Should -BeOfType ([double])
    }
}
