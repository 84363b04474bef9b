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

    It 'shows a <Precision> network as a table of its sizes, parameter count and precision' -TestCases @(
        @{ Precision = 'Single' }, @{ Precision = 'Double' }
    ) {
        $net = if ($Precision -eq 'Single') { $single } else { $double }
        $net.PSTypeNames | Should -Contain 'MlpTools.Core.Model.Mlp'
        $text = $net | Out-String -Width 120
        $text | Should -Match 'InputSize\s+HiddenSize\s+ClassCount\s+Precision\s+ParameterCount\s+Epochs\s+Loss'
        $text | Should -Match "\s2\s+8\s+3\s+$Precision\s+51\s+2\s+\d\.\d{4}"
        $text | Should -Not -Match 'DenseMatrix'
    }

    It 'shows the history as a table of epochs that fits 80 columns, with the learning rate and gradient norms' {
        $text = $double.History | Out-String -Width 120
        $text | Should -Match 'Epoch\s+Loss\s+Accuracy\s+ValLoss\s+ValAccuracy\s+LR\s+\|dW1\|\s+\|dW2\|\s+Seconds'
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
        $text | Should -Match 'W1\s+: 2x8 matrix'
        $text | Should -Match 'b2\s+: 3 vector'
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

    It 'keeps numbers as numbers on the objects' {
        $e = $double | Test-Mlp
        $e.Accuracy | Should -BeOfType ([double])
        $double.History[0].Loss | Should -BeOfType ([double])
        ($double | Test-MlpGradient -Dataset $batch)[0].MaxRelativeError | Should -BeOfType ([double])
    }
}
