BeforeDiscovery {
    # Fashion-MNIST (the four IDX files) is not part of the repository; the tests that need it run when it is there.
    $fashionMnistFolder = '/usr/share/datasets/fashion-mnist'
    $hasFashionMnist = @('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz' |
        Where-Object { Test-Path -LiteralPath (Join-Path $fashionMnistFolder $_) }).Count -eq 4
}

BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $digits = Import-Dataset -Name Digits
    $spiral = Import-Dataset -Name Spiral -ClassCount 3 -SamplesPerClass 100 -Seed 1
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.InvokeTrainingCommand" }

    # Runs a script in a new runspace of this process (so its streams can be read), with the module imported.
    function New-ModuleRunspace([string] $Script, [object[]] $Arguments = @()) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("param(`$ModulePath, `$Arguments) Import-Module `$ModulePath; $Script")
        $null = $ps.AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($Arguments)
        return $ps
    }

    # Waits (up to 60 s) until the condition holds.
    function Wait-Until([scriptblock] $Condition) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while (-not (& $Condition)) {
            if ($clock.Elapsed.TotalSeconds -gt 60) { throw "Timed out waiting for: $Condition" }
            Start-Sleep -Milliseconds 10
        }
    }

    # True when two networks hold exactly the same parameters.
    function Test-SameWeights($a, $b) {
        $a.W1.Equals($b.W1) -and $a.b1.Equals($b.b1) -and $a.W2.Equals($b.W2) -and $a.b2.Equals($b.b2)
    }

    # True when every parameter is a finite number.
    function Test-AllFinite($net) {
        foreach ($p in $net.W1, $net.b1, $net.W2, $net.b2) {
            foreach ($v in $p.Enumerate()) { if (-not [double]::IsFinite($v)) { return $false } }
        }
        return $true
    }

    # The validation part -ValidationFraction f -Seed s holds out (the splitter's "test" part).
    function Get-ValidationPart($data, [double] $fraction, [int] $seed) {
        [MlpTools.Core.Data.DatasetSplitter]::Split($data, $fraction, 0, $true, $seed)
    }
}

Describe 'Invoke-Training' {
    Context 'The issue''s done checks' {
        It 'reaches at least 0.95 accuracy on a stratified 25% Digits hold-out through the pipeline' {
            $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
            $net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
            (Test-Mlp -Network $net -Dataset $test).Accuracy | Should -BeGreaterOrEqual 0.95
        }

        It 'works exactly as written: Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 | Invoke-Training -Epochs 20' {
            $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 | Invoke-Training -Epochs 20
            $net -is [MlpTools.Core.Model.Mlp] | Should -BeTrue
            $net.History.Count | Should -Be 20
            $net.StopReason | Should -Be 'Completed 20 epochs'
        }

        It 'reaches at least 0.95 training accuracy on a 3 x 100 spiral with 100 hidden units (<Settings>)' -TestCases @(
            @{ Settings = 'default settings, 200 epochs'; Splat = @{ Epochs = 200 } }
            @{ Settings = 'full batch, learning rate 0.5, 300 epochs'; Splat = @{ Epochs = 300; BatchSize = 300; LearningRate = 0.5 } }
        ) {
            $net = $spiral | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training @Splat -Seed 1
            ($net | Test-Mlp).Accuracy | Should -BeGreaterOrEqual 0.95
        }

        It 'gives identical weights for the same seeds' {
            $a = $spiral | New-Mlp -HiddenSize 20 -Seed 3 | Invoke-Training -Epochs 5 -Seed 9
            $b = $spiral | New-Mlp -HiddenSize 20 -Seed 3 | Invoke-Training -Epochs 5 -Seed 9
            $c = $spiral | New-Mlp -HiddenSize 20 -Seed 3 | Invoke-Training -Epochs 5 -Seed 10
            Test-SameWeights $a $b | Should -BeTrue
            $a.W1.Equals($c.W1) | Should -BeFalse
        }
    }

    Context 'Pipeline and binding' {
        It 'refuses rows piped from Import-Csv with one error that points to ConvertTo-Dataset and New-Mlp' {
            $csv = Join-Path $TestDrive 'rows.csv'
            Set-Content -LiteralPath $csv -Value (@('a,b,label') + (1..150 | ForEach-Object { "$_,2,$($_ % 2)" }))
            $errors = @(Get-ErrorRecord { Import-Csv -LiteralPath $csv | Invoke-Training -Epochs 1 })
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'InputNotANetwork,MlpTools.Commands.InvokeTrainingCommand'
            $errors[0].Exception.Message | Should -Match 'ConvertTo-Dataset -LabelProperty label \| New-Mlp -HiddenSize 16 \| Invoke-Training'
            $net = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 4 -Seed 1
            { Invoke-Training -Network $net -ValidationDataset (Import-Csv -LiteralPath $csv) -Epochs 1 } |
                Should -Throw -ErrorId 'InputNotADataset,MlpTools.Commands.InvokeTrainingCommand'
        }

        It 'trains the piped network in place and emits that same object' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1
            $before = $net.W1.Clone()
            $out = $net | Invoke-Training -Epochs 2 -Seed 1
            [object]::ReferenceEquals($out, $net) | Should -BeTrue
            $net.W1.Equals($before) | Should -BeFalse
        }

        It 'takes -Network and -Dataset by name (the explicit form)' {
            $net = New-Mlp -InputSize 2 -HiddenSize 8 -ClassCount 3 -Seed 1
            $out = Invoke-Training -Network $net -Dataset $spiral -Epochs 2 -BatchSize 16 -LearningRate 0.1 -Regularization 0.001 -Momentum 0.5 -Seed 1
            [object]::ReferenceEquals($out, $net) | Should -BeTrue
            $net.History.Count | Should -Be 2
            $net.History[0].LearningRate | Should -Be 0.1
            [object]::ReferenceEquals($net.Dataset, $spiral) | Should -BeTrue
        }

        It 'binds -Dataset from the piped network''s Dataset property, and -Dataset overrides it' {
            $other = Import-Dataset -Name Spiral -Seed 2
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Dataset $other
            [object]::ReferenceEquals($net.Dataset, $other) | Should -BeTrue
        }

        It 'keeps the dataset one object from Import-Dataset to the trained network' {
            $net = Import-Dataset -Name Spiral -Seed 4 | New-Mlp -HiddenSize 8 | Invoke-Training -Epochs 1
            $net.Dataset | Should -BeOfType ([MlpTools.Core.Data.Dataset])
            $net.Dataset.Count | Should -Be 300
        }

        It 'trains every piped network' {
            $nets = 1..3 | ForEach-Object { $spiral | New-Mlp -HiddenSize 4 -Seed $_ } | Invoke-Training -Epochs 1 -Seed 1
            @($nets).Count | Should -Be 3
            @($nets | ForEach-Object { $_.History.Count }) | Should -Be @(1, 1, 1)
        }

        It 'continues the history on a second run' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1
            $net.History.Epoch | Should -Be @(1, 2, 3, 4, 5)
        }

        It 'binds Network from the pipeline and Dataset by property name' {
            $p = (Get-Command Invoke-Training).Parameters
            $network = @($p.Network.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
            $dataset = @($p.Dataset.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
            $network.ValueFromPipeline | Should -Contain $true
            $dataset.ValueFromPipelineByPropertyName | Should -Contain $true
            $dataset.ValueFromPipeline | Should -Not -Contain $true
        }

        It 'ends normally when a downstream Select-Object -First has had enough, and the script goes on' {
            $ps = New-ModuleRunspace @'
$records = Import-Dataset -Name Digits | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 50 -Seed 1 -StreamHistory -NetworkVariable net |
    Select-Object -First 2
'after'
$records.Count
$net.StopReason
'@
            try {
                $out = $ps.Invoke()
                $ps.HadErrors | Should -BeFalse
                $out[0] | Should -Be 'after'
                $out[1] | Should -Be 2
                $out[2] | Should -Match '^Interrupted in epoch 3, batch 1 of 57$'
            }
            finally { $ps.Dispose() }
        }
    }

    Context 'Optimizers' {
        BeforeAll {
            $train, $test = $digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
        }

        It 'completes -Optimizer with the optimizers, as Test-MlpSanity does' {
            # The parameter's type is the engine's enum, which PowerShell completes by itself.
            foreach ($command in 'Invoke-Training', 'Test-MlpSanity') {
                $line = "$command -Optimizer "
                (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be @([Enum]::GetNames([MlpTools.Core.Training.OptimizerKind]) | Sort-Object)
                $line = "$command -Optimizer rms"
                (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be 'RmsProp'
            }
        }

        It '<Optimizer> with its default learning rate (<Rate>) reaches at least <Expected> on the Digits hold-out in 20 epochs' -TestCases @(
            @{ Optimizer = 'Sgd'; Rate = 0.05; Expected = 0.95 }
            @{ Optimizer = 'Adam'; Rate = 0.001; Expected = 0.95 }
            @{ Optimizer = 'RmsProp'; Rate = 0.001; Expected = 0.95 }
        ) {
            $net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Optimizer $Optimizer -Epochs 20 -Seed 1
            $net.History.LearningRate | Select-Object -Unique | Should -Be $Rate
            (Test-Mlp -Network $net -Dataset $test).Accuracy | Should -BeGreaterOrEqual $Expected
        }

        It 'Lbfgs takes full-batch steps, one history record per evaluation, and stops when it converges' {
            $net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Optimizer Lbfgs -Epochs 300 -Seed 1
            $net.StopReason | Should -Match '^Converged after \d+ iterations|^Completed 300 epochs'
            ($net | Test-Mlp).Accuracy | Should -BeGreaterOrEqual 0.99
            (Test-Mlp -Network $net -Dataset $test).Accuracy | Should -BeGreaterOrEqual 0.93
        }

        It 'takes -LearningRate over the optimizer''s default' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Optimizer Adam -LearningRate 0.01 -Epochs 2 -Seed 1
            $net.History.LearningRate | Should -Be @(0.01, 0.01)
        }

        It 'uses the engine''s defaults for the settings not given (<Optimizer> <Defaults>)' -TestCases @(
            @{ Optimizer = 'Sgd'; Defaults = @{ Momentum = 0.9 }; Other = @{ Momentum = 0.5 } }
            @{ Optimizer = 'Adam'; Defaults = @{ Beta1 = 0.9; Beta2 = 0.999; Epsilon = 1e-8 }; Other = @{ Beta1 = 0.5 } }
            @{ Optimizer = 'RmsProp'; Defaults = @{ Rho = 0.9; Epsilon = 1e-8 }; Other = @{ Rho = 0.5 } }
        ) {
            $implicit = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Optimizer $Optimizer -Epochs 3 -Seed 1
            $explicit = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Optimizer $Optimizer -Epochs 3 -Seed 1 @Defaults
            $other = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Optimizer $Optimizer -Epochs 3 -Seed 1 @Other
            Test-SameWeights $implicit $explicit | Should -BeTrue
            $implicit.W1.Equals($other.W1) | Should -BeFalse
        }

        It 'takes Nesterov''s momentum with -Nesterov (a different path from classical momentum)' {
            $classical = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1
            $nesterov = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Nesterov
            $nesterov.W1.Equals($classical.W1) | Should -BeFalse
            # Without momentum, Nesterov's step is the plain step.
            $plain = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Momentum 0
            $plainNesterov = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Momentum 0 -Nesterov
            Test-SameWeights $plain $plainNesterov | Should -BeTrue
        }

        It 'refuses -<Parameter> with -Optimizer <Optimizer>, before training' -TestCases @(
            @{ Parameter = 'Momentum'; Value = 0.5; Optimizer = 'Adam' }
            @{ Parameter = 'Nesterov'; Value = $true; Optimizer = 'RmsProp' }
            @{ Parameter = 'Beta1'; Value = 0.5; Optimizer = 'Sgd' }
            @{ Parameter = 'Rho'; Value = 0.5; Optimizer = 'Adam' }
            @{ Parameter = 'Epsilon'; Value = 1e-7; Optimizer = 'Sgd' }
            @{ Parameter = 'BatchSize'; Value = 16; Optimizer = 'Lbfgs' }
        ) {
            $splat = @{ $Parameter = $Value; Optimizer = $Optimizer }
            $net = $spiral | New-Mlp -HiddenSize 4
            $err = { $net | Invoke-Training @splat } | Should -Throw -ErrorId (Get-Id ParameterNotApplicable) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match "^-$Parameter applies to .* only, but the optimizer is $Optimizer"
            $net.History.Count | Should -Be 0
        }
    }

    Context 'Schedules' {
        It 'multiplies the learning rate by -LearningRateDecay after every epoch, down to -MinLearningRate' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 4 -Seed 1 -LearningRate 0.1 -LearningRateDecay 0.5
            $net.History.LearningRate | Should -Be @(0.1, 0.05, 0.025, 0.0125)
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 4 -Seed 1 -LearningRate 0.1 -LearningRateDecay 0.1 -MinLearningRate 0.005
            $net.History.LearningRate | ForEach-Object { [math]::Round($_, 12) } | Should -Be @(0.1, 0.01, 0.005, 0.005)
        }

        It 'cuts the learning rate by -PlateauFactor after -PlateauPatience epochs without improvement' {
            # -MinDelta 100: no epoch counts as an improvement on the starting weights.
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 |
                Invoke-Training -Epochs 6 -Seed 1 -LearningRate 0.1 -PlateauPatience 2 -PlateauFactor 0.5 -MinDelta 100
            $net.History.LearningRate | Should -Be @(0.1, 0.1, 0.05, 0.05, 0.025, 0.025)
            $net.BestEpoch | Should -Be 0
        }
    }

    Context 'Validation and early stopping' {
        It 'holds out a stratified, seeded -ValidationFraction, trains on the rest and keeps the best weights by validation loss' {
            $lines = @($digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 8 -Seed 1 -ValidationFraction 0.2 -NetworkVariable net -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            $split = Get-ValidationPart $digits 0.2 1
            $lines[0] | Should -Match "on 'Digits \(train\)' \(1,438 samples\).*validation on 'Digits \(validation\)' \(359 samples\)"
            $split.Train.Count | Should -Be 1438
            $net.History.ValidationLoss | Should -Not -Contain $null
            $best = $net.History | Sort-Object ValidationLoss | Select-Object -First 1
            $net.BestEpoch | Should -Be $best.Epoch
            (Test-Mlp -Network $net -Dataset $split.Test).Loss | Should -Be $best.ValidationLoss
            # The network keeps all the data it was given, so a second run with the same -Seed holds out the same part.
            $net.Dataset.Count | Should -Be 1797
        }

        It 'splits the same way for the same seed, and differently for another' {
            $a = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Seed 1 -ValidationFraction 0.2
            $b = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Seed 1 -ValidationFraction 0.2
            $c = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Seed 2 -ValidationFraction 0.2
            $a.History[0].ValidationLoss | Should -Be $b.History[0].ValidationLoss
            $a.History[0].ValidationLoss | Should -Not -Be $c.History[0].ValidationLoss
        }

        It 'stops early after -Patience epochs without improvement and holds the best epoch''s weights' {
            # -MinDelta 100: no epoch counts as an improvement, so the starting weights (epoch 0) stay the best.
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 50 -Seed 1 -Patience 3 -MinDelta 100
            $net.StopReason | Should -Be 'Stopped early after epoch 3: Loss did not improve for 3 epochs (best epoch 0); no epoch improved on the starting weights, which were kept'
            $net.History.Count | Should -Be 3
            $net.BestEpoch | Should -Be 0
            $untrained = $spiral | New-Mlp -HiddenSize 8 -Seed 1
            Test-SameWeights $net $untrained | Should -BeTrue
            # With real improvement, the best epoch's weights are kept.
            $trained = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 50 -Seed 1 -Patience 3
            $trained.BestEpoch | Should -BeGreaterThan 0
            $trained.History[$trained.BestEpoch - 1].Loss | Should -Be ($trained.History.Loss | Measure-Object -Minimum).Minimum
        }

        It 'monitors validation accuracy with -Monitor ValidationAccuracy' {
            $train, $validation = $spiral | Split-Dataset -TestFraction 0.3 -Stratify -Seed 1
            $net = $train | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 30 -Seed 1 -ValidationDataset $validation -Monitor ValidationAccuracy
            $bestAccuracy = ($net.History.ValidationAccuracy | Measure-Object -Maximum).Maximum
            $net.History[$net.BestEpoch - 1].ValidationAccuracy | Should -Be $bestAccuracy
            @($net.History | Where-Object ValidationAccuracy -EQ $bestAccuracy)[0].Epoch | Should -Be $net.BestEpoch
            (Test-Mlp -Network $net -Dataset $validation).Accuracy | Should -Be $bestAccuracy
        }

        It 'monitors the training loss with -Monitor Loss even when there is validation data' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 10 -Seed 1 -ValidationFraction 0.2 -Monitor Loss -Patience 1 -MinDelta 100
            $net.StopReason | Should -Match 'Loss did not improve'
        }

        It 'refuses a validation monitor without validation data' {
            $err = { $spiral | New-Mlp -HiddenSize 4 | Invoke-Training -Monitor ValidationLoss } | Should -Throw -ErrorId (Get-Id MonitorNeedsValidation) -PassThru
            $err.Exception.Message | Should -Match '-ValidationDataset or -ValidationFraction'
        }

        It 'refuses both -ValidationDataset and -ValidationFraction' {
            { $spiral | New-Mlp -HiddenSize 4 | Invoke-Training -ValidationDataset $spiral -ValidationFraction 0.2 } |
                Should -Throw -ErrorId (Get-Id ValidationConflict)
        }

        It 'refuses -ValidationFraction <Value>' -TestCases @(@{ Value = 0 }, @{ Value = 1 }, @{ Value = -0.5 }) {
            $err = { $spiral | New-Mlp -HiddenSize 4 | Invoke-Training -ValidationFraction $Value } | Should -Throw -ErrorId (Get-Id InvalidValidationFraction) -PassThru
            $err.Exception.Message | Should -Match '^ValidationFraction must be above 0 and below 1'
        }

        It 'says when the data is too small to hold out a validation part' {
            $tiny = $spiral.Subset([int[]](0, 100, 200))
            $err = { $tiny | New-Mlp -HiddenSize 4 | Invoke-Training -ValidationFraction 0.01 } | Should -Throw -ErrorId (Get-Id SplitTooSmall) -PassThru
            $err.Exception.Message | Should -Match 'too few to hold out 0.01 of them for validation'
        }
    }

    Context 'History and streaming' {
        It 'records every figure of an epoch' {
            $train, $validation = $spiral | Split-Dataset -TestFraction 0.2 -Seed 1
            $net = $train | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ValidationDataset $validation
            $net.History.Count | Should -Be 3
            $record = $net.History[2]
            $record | Should -BeOfType ([MlpTools.Core.Training.EpochRecord])
            $record.Epoch | Should -Be 3
            $record.Loss | Should -BeOfType ([double])
            $record.Accuracy | Should -BeGreaterThan 0
            $record.ValidationLoss | Should -BeGreaterThan 0
            $record.ValidationAccuracy | Should -BeGreaterThan 0
            $record.LearningRate | Should -Be 0.05
            $record.GradientNormW1 | Should -BeGreaterThan 0
            $record.GradientNormW2 | Should -BeGreaterThan 0
            $record.Seconds | Should -BeGreaterThan 0
        }

        It 'leaves the validation figures empty without validation data' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1
            $net.History[0].ValidationLoss | Should -BeNullOrEmpty
        }

        It 'writes the epoch records instead of the network with -StreamHistory; they are the network''s history' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1
            $out = @($net | Invoke-Training -Epochs 3 -Seed 1 -StreamHistory)
            $out.Count | Should -Be 3
            for ($i = 0; $i -lt 3; $i++) { [object]::ReferenceEquals($out[$i], $net.History[$i]) | Should -BeTrue }
        }

        It 'streams each record as its epoch ends, while training goes on' {
            $net = $digits | New-Mlp -HiddenSize 16 -Seed 1
            $ps = New-ModuleRunspace 'Invoke-Training -Network $Arguments[0] -Epochs 100000 -Seed 1 -StreamHistory' @(, $net)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            try {
                $null = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
                Wait-Until { $output.Count -ge 2 }
                $ps.InvocationStateInfo.State | Should -Be 'Running'
                $output[0] | Should -BeOfType ([MlpTools.Core.Training.EpochRecord])
                $output[1].Epoch | Should -Be 2
                $ps.Stop()
            }
            finally { $ps.Dispose() }
        }

        It 'logs to CSV with -StreamHistory | Export-Csv, and gives the network through -NetworkVariable' {
            $log = Join-Path $TestDrive 'history.csv'
            Import-Dataset -Name Digits | New-Mlp -HiddenSize 16 -Seed 1 |
                Invoke-Training -Epochs 3 -Seed 1 -ValidationFraction 0.2 -StreamHistory -NetworkVariable trained | Export-Csv -Path $log
            $rows = @(Import-Csv -Path $log)
            $rows.Count | Should -Be 3
            $rows[0].PSObject.Properties.Name | Should -Be @('Epoch', 'Loss', 'Accuracy', 'ValidationLoss', 'ValidationAccuracy', 'LearningRate', 'GradientNormW1', 'GradientNormW2', 'Seconds')
            # The diagnostics stay on the records (a hidden property), not in the CSV's columns.
            $trained.History[0].Diagnostics | Should -BeOfType ([MlpTools.Core.Training.TrainingDiagnostics])
            $trained | Should -BeOfType ([MlpTools.Core.Model.Mlp])
            $trained.History.Count | Should -Be 3
            [double]$rows[2].ValidationLoss | Should -Be $trained.History[2].ValidationLoss
        }

        It 'sets -NetworkVariable (given with or without $) to every piped network, and still writes them' {
            $out = 1..2 | ForEach-Object { $spiral | New-Mlp -HiddenSize 4 -Seed $_ } | Invoke-Training -Epochs 1 -Seed 1 -NetworkVariable '$nets'
            $nets.Count | Should -Be 2
            [object]::ReferenceEquals($nets[1], $out[1]) | Should -BeTrue
            $one = $spiral | New-Mlp -HiddenSize 4 -Seed 1 | Invoke-Training -Epochs 1 -NetworkVariable single
            [object]::ReferenceEquals($single, $one) | Should -BeTrue
        }

        It 'declares the networks and the epoch records as output types' {
            $types = (Get-Command Invoke-Training).OutputType.Type
            $types | Should -Contain ([MlpTools.Core.Model.Mlp[single]])
            $types | Should -Contain ([MlpTools.Core.Model.Mlp[double]])
            $types | Should -Contain ([MlpTools.Core.Training.EpochRecord])
        }
    }

    Context 'Diagnostics' {
        BeforeAll {
            $scaled = $digits | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Scaling Standardize
        }

        It 'records on every epoch the norms and update ratio of W1, b1, W2 and b2, and the dead and zero ReLU shares' {
            $scaled.History.Count | Should -Be 3
            foreach ($record in $scaled.History) {
                $d = $record.Diagnostics
                $d | Should -BeOfType ([MlpTools.Core.Training.TrainingDiagnostics])
                foreach ($name in 'W1', 'b1', 'W2', 'b2') {
                    $d.$name | Should -BeOfType ([MlpTools.Core.Training.ParameterDiagnostics])
                    $d.$name.WeightNorm | Should -BeGreaterThan 0
                    $d.$name.GradientNorm | Should -BeGreaterThan 0
                    $d.$name.UpdateNorm | Should -BeGreaterThan 0
                    $d.$name.UpdateRatio | Should -BeGreaterThan 0
                }
                $d.DeadUnitShare | Should -BeGreaterOrEqual 0
                $d.DeadUnitShare | Should -BeLessOrEqual 1
                $d.ZeroActivationShare | Should -BeGreaterThan 0
                $d.ZeroActivationShare | Should -BeLessThan 1
                # The record's own gradient norms are the diagnostics'.
                $d.W1.GradientNorm | Should -Be $record.GradientNormW1
                $d.W2.GradientNorm | Should -Be $record.GradientNormW2
            }
            $ratio = $scaled.History[-1].Diagnostics.W1.UpdateRatio
            $ratio | Should -BeOfType ([double])
            # Digits with the default learning rate: within a factor of 10 of the rule of thumb, 1e-3.
            $ratio | Should -BeGreaterThan 1e-4
            $ratio | Should -BeLessThan 1e-2
        }

        It 'finds every ReLU dead in a network built with very negative hidden biases, and few after healthy training' {
            $random = [Random]::new(1)
            $w1 = foreach ($i in 1..64) { , @(foreach ($j in 1..8) { 0.02 * $random.NextDouble() - 0.01 }) }
            $w2 = foreach ($i in 1..8) { , @(foreach ($j in 1..10) { 0.2 * $random.NextDouble() - 0.1 }) }
            $dead = New-Mlp -Parameters @{ W1 = $w1; b1 = @(-1000) * 8; W2 = $w2; b2 = @(0) * 10 } |
                Invoke-Training -Dataset $digits -Epochs 2 -Seed 1 -WarningAction SilentlyContinue    # it learns nothing, and is told so
            $dead.History.Diagnostics.DeadUnitShare | Should -Be @(1.0, 1.0)
            $dead.History.Diagnostics.ZeroActivationShare | Should -Be @(1.0, 1.0)

            $healthy = $digits | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 10 -Seed 1 -Scaling Standardize
            $healthy.History[-1].Diagnostics.DeadUnitShare | Should -BeLessOrEqual 0.02
        }

        It 'keeps the diagnostics when the network is saved and loaded again' {
            $path = Join-Path $TestDrive 'diagnostics.safetensors'
            $scaled | Export-Mlp -Path $path
            $loaded = Import-Mlp -Path $path
            for ($i = 0; $i -lt 3; $i++) {
                $loaded.History[$i].Diagnostics | Should -Be $scaled.History[$i].Diagnostics
                $loaded.History[$i].Diagnostics.b2.UpdateRatio | Should -Be $scaled.History[$i].Diagnostics.b2.UpdateRatio
            }
        }

        It 'leaves the history table and the -Verbose epoch lines as they were, and shows the diagnostics in a view of their own' {
            $lines = @($spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1 -Verbose -NetworkVariable net 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            @($lines -match '^Epoch \d+: loss \d\.\d{4}, accuracy \d\.\d{4}, learning rate 0\.05, \|dW1\| \S+, \|dW2\| \S+, \d+\.\d{3} s$').Count | Should -Be 2
            $net.History[-1].Diagnostics | Should -Not -BeNullOrEmpty

            $table = $net.History | Out-String -Width 79    # an 80-column console
            $table | Should -Match 'Epoch\s+Loss\s+Accuracy\s+ValLoss\s+ValAcc\s+LR\s+\|dW1\|\s+\|dW2\|\s+Seconds'
            $table | Should -Not -Match 'Diagnostics|Parameter'
            ($table -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty

            $text = $net.History[-1].Diagnostics | Out-String -Width 79
            foreach ($name in 'W1', 'b1', 'W2', 'b2') { $text | Should -Match "(?m)^$name\s+: norm \S+\s+grad \S+\s+update \S+\s+ratio \S+\s*$" }
            $text | Should -Match '(?m)^DeadUnitShare\s+: \d\.\d{4}\s*$'
            $text | Should -Match '(?m)^ZeroActivationShare\s+: \d\.\d{4}\s*$'
            ($text -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
            $net.History[-1].Diagnostics.W1 | Out-String -Width 79 | Should -Match 'WeightNorm\s+GradientNorm\s+UpdateNorm\s+UpdateRatio'
        }
    }

    Context 'Class weights and scaling' {
        It '-ClassWeight Balanced is n / (C n_k) on the training data' {
            $rows = [int[]]@(0..299 | Where-Object { $_ -lt 100 -or $_ % 4 -eq 0 })   # 100 of class 0, 25 each of 1 and 2
            $skewed = $spiral.Subset($rows)
            $expected = [MlpTools.Core.Training.Trainer]::BalancedClassWeights($skewed, 3)
            $expected | Should -Be @((150 / 300), 2, 2)
            $balanced = $skewed | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ClassWeight Balanced
            $explicit = $skewed | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ClassWeight $expected
            $unweighted = $skewed | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1
            Test-SameWeights $balanced $explicit | Should -BeTrue
            $balanced.W1.Equals($unweighted.W1) | Should -BeFalse
        }

        It '-ClassWeight Balanced with -ValidationFraction counts the training part only' {
            $split = Get-ValidationPart $digits 0.3 1
            $expected = [MlpTools.Core.Training.Trainer]::BalancedClassWeights($split.Train, 10)
            $balanced = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1 -ValidationFraction 0.3 -ClassWeight Balanced
            $explicit = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1 -ValidationFraction 0.3 -ClassWeight $expected
            Test-SameWeights $balanced $explicit | Should -BeTrue
        }

        It 'takes a hashtable of class name to weight; classes not named keep weight 1' {
            $byName = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ClassWeight @{ '2' = 3.5 }
            $byNumber = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ClassWeight @{ 2 = 3.5 }
            $list = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ClassWeight 1, 1, 3.5
            Test-SameWeights $byName $list | Should -BeTrue
            Test-SameWeights $byNumber $list | Should -BeTrue
        }

        It 'refuses -ClassWeight <Value>' -TestCases @(
            @{ Value = 'Equal'; Id = 'InvalidClassWeight'; Message = "-ClassWeight 'Equal' is not understood" }
            @{ Value = @{ cat = 2 }; Id = 'ClassWeightUnknownClass'; Message = "names the class 'cat', but the network's classes are '0', '1', '2'" }
            @{ Value = @(1, 2); Id = 'ClassWeightCountMismatch'; Message = 'gives 2 weights, but the network has 3 classes' }
            @{ Value = @(1, -1, 1); Id = 'InvalidClassWeight'; Message = 'ClassWeight\[1\] must be a finite number >= 0' }
            @{ Value = @{ '1' = 'heavy' }; Id = 'InvalidClassWeight'; Message = "The -ClassWeight of class '1' is 'heavy', not a number" }
        ) {
            $net = $spiral | New-Mlp -HiddenSize 4
            $err = { $net | Invoke-Training -ClassWeight $Value } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.Exception.Message | Should -Match $Message
            $net.History.Count | Should -Be 0
        }

        It 'completes -ClassWeight with Balanced' {
            $line = 'Invoke-Training -ClassWeight Bal'
            (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be 'Balanced'
        }

        It 'fits -Scaling <Kind> on the training data only, and the network keeps it' -TestCases @(@{ Kind = 'Standardize' }, @{ Kind = 'MinMax' }) {
            $net = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Seed 1 -ValidationFraction 0.25 -Scaling $Kind
            $expected = [MlpTools.Core.Data.Preprocessor]::Fit((Get-ValidationPart $digits 0.25 1).Train, $Kind)
            $net.Preprocessor.Kind | Should -Be $Kind
            $net.Preprocessor.Offsets | Should -Be $expected.Offsets
            $net.Preprocessor.Scales | Should -Be $expected.Scales
            # Continuing keeps the fitted scaling (giving the same kind again is fine).
            $fitted = $net.Preprocessor
            $net | Invoke-Training -Epochs 1 -Seed 1 -Scaling $Kind | Out-Null
            [object]::ReferenceEquals($net.Preprocessor, $fitted) | Should -BeTrue
        }

        It 'trains better on badly scaled data with -Scaling Standardize' {
            $x = $spiral.Features.Multiply(1000.0)
            $wide = [MlpTools.Core.Data.Dataset]::FromMatrix($x, $spiral.Labels, 3, 'Wide spiral', '')
            $raw = $wide | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 100 -Seed 1 -Optimizer Adam -LearningRate 0.01
            $scaled = $wide | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 100 -Seed 1 -Optimizer Adam -LearningRate 0.01 -Scaling Standardize
            ($scaled | Test-Mlp).Accuracy | Should -BeGreaterOrEqual 0.9
            ($scaled | Test-Mlp).Accuracy | Should -BeGreaterThan ($raw | Test-Mlp).Accuracy
        }

        It 'refuses a different -Scaling for a network that already scales its inputs' {
            $net = $spiral | New-Mlp -HiddenSize 4 -Seed 1 | Invoke-Training -Epochs 1 -Scaling Standardize
            $err = { $net | Invoke-Training -Epochs 1 -Scaling MinMax } | Should -Throw -ErrorId (Get-Id ScalingAlreadyFitted) -PassThru
            $err.Exception.Message | Should -Match 'already scales its inputs \(Standardize'
            $net.History.Count | Should -Be 1
        }
    }

    Context 'Checkpoints' {
        It 'keeps the best network so far in -CheckpointPath, written atomically' {
            $path = Join-Path $TestDrive 'checkpoints' 'best.safetensors'
            $null = New-Item -ItemType Directory -Path (Split-Path $path) -Force
            $net = $digits | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 10 -Seed 1 -ValidationFraction 0.2 -CheckpointPath $path
            $saved = (Import-Mlp -LiteralPath $path)
            Test-SameWeights $saved $net | Should -BeTrue
            $saved.BestEpoch | Should -Be $net.BestEpoch
            $saved.History.Count | Should -Be $net.BestEpoch   # saved when that epoch improved
            # The file says it is a checkpoint; the network says how its run ended.
            $saved.StopReason | Should -Be "Checkpoint of epoch $($net.BestEpoch): training was still running"
            $net.StopReason | Should -Be 'Completed 10 epochs'
            @(Get-ChildItem -LiteralPath (Split-Path $path) -Force).Name | Should -Be 'best.safetensors'
        }

        It 'writes no file until an epoch has improved on the starting weights, as its help says' {
            $path = Join-Path $TestDrive 'never.safetensors'
            $net = $spiral | New-Mlp -HiddenSize 4 -Seed 1
            # No epoch can beat the starting loss by more than -MinDelta.
            $null = $net | Invoke-Training -Epochs 2 -Seed 1 -MinDelta 1e9 -CheckpointPath $path
            $net.History.Count | Should -Be 2
            Test-Path -LiteralPath $path | Should -BeFalse
            $help = (Get-Help Invoke-Training -Parameter CheckpointPath).description.Text -join ' '
            $help | Should -Match 'No file exists until an epoch has finished that improved the monitored figure'
            $help | Should -Match '-MinDelta'
        }

        It 'resolves a relative -CheckpointPath from the current PowerShell location and replaces an existing file' {
            Push-Location $TestDrive
            try {
                Set-Content -Path (Join-Path $TestDrive 'relative.safetensors') -Value 'old'
                $net = $spiral | New-Mlp -HiddenSize 4 -Seed 1 | Invoke-Training -Epochs 2 -Seed 1 -CheckpointPath 'relative.safetensors'
                (Import-Mlp -LiteralPath (Join-Path $TestDrive 'relative.safetensors')).W1.Equals($net.W1) | Should -BeTrue
            }
            finally { Pop-Location }
        }

        It 'refuses <Case> before training' -TestCases @(
            @{ Case = 'a folder'; Path = { $TestDrive }; Id = 'CheckpointPathIsDirectory'; Message = 'is a folder; give the path of the file to write' }
            @{ Case = 'a missing folder'; Path = { Join-Path $TestDrive 'nowhere' 'best.safetensors' }; Id = 'CheckpointDirectoryNotFound'; Message = 'does not exist' }
            @{ Case = 'a path of another provider'; Path = { 'Variable:\best' }; Id = 'NotAFileSystemPath'; Message = 'file-system path' }
        ) {
            $net = $spiral | New-Mlp -HiddenSize 4
            $target = & $Path
            $err = { $net | Invoke-Training -CheckpointPath $target } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.Exception.Message | Should -Match $Message
            $net.History.Count | Should -Be 0
        }

        It 'stops with CheckpointWriteFailed when a checkpoint cannot be written, keeping the best weights' {
            $path = Join-Path $TestDrive 'blocked.safetensors'
            $net = $spiral | New-Mlp -HiddenSize 4 -Seed 1
            # The first epoch's record goes downstream just before its checkpoint is saved: put a folder in the way.
            $err = { $net | Invoke-Training -Epochs 5 -Seed 1 -CheckpointPath $path -StreamHistory |
                    ForEach-Object { $null = New-Item -ItemType Directory -Path $path } } |
                Should -Throw -ErrorId (Get-Id CheckpointWriteFailed) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err.Exception.Message | Should -Match "^Could not write the checkpoint '.*blocked\.safetensors': .*is a folder.*Training stopped; the network keeps its best weights\.$"
            $net.History.Count | Should -Be 1
            $net.BestEpoch | Should -Be 1
            $net.StopReason | Should -BeLike "Stopped: Could not write the checkpoint*"
            Test-AllFinite $net | Should -BeTrue
        }

        It 'says once that a checkpoint could not be written, with the file and the system''s reason' {
            $path = Join-Path $TestDrive ('n' * 300 + '.safetensors')   # a name longer than file systems allow
            $net = $spiral | New-Mlp -HiddenSize 4 -Seed 1
            $err = { $net | Invoke-Training -Epochs 3 -Seed 1 -CheckpointPath $path } | Should -Throw -ErrorId (Get-Id CheckpointWriteFailed) -PassThru
            $err.Exception.Message | Should -Match "^Could not write the checkpoint '$([regex]::Escape($path))': .*too long.*\. Nothing was changed\. Training stopped; the network keeps its best weights\.$"
            ([regex]::Matches($err.Exception.Message, 'Could not write')).Count | Should -Be 1
            $err.Exception.InnerException.ErrorId | Should -Be 'ModelWriteFailed'
            @(Get-ChildItem -LiteralPath $TestDrive -Force -Filter '.nnn*.tmp') | Should -BeNullOrEmpty
        }

        It 'refuses to let a second piped network replace the first one''s checkpoint' {
            $path = Join-Path $TestDrive 'shared.safetensors'
            $nets = 1..2 | ForEach-Object { $spiral | New-Mlp -HiddenSize 4 -Seed $_ }
            { $nets | Invoke-Training -Epochs 1 -CheckpointPath $path } | Should -Throw -ErrorId (Get-Id CheckpointPathShared)
            $nets[0].History.Count | Should -Be 1
            $nets[1].History.Count | Should -Be 0
        }
    }

    Context 'Continuing' {
        It 'continues from the network''s weights and optimizer state' {
            $path = Join-Path $TestDrive 'after3.safetensors'
            $net = $digits | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Optimizer Adam -Epochs 3 -Seed 1
            $net | Export-Mlp -LiteralPath $path -Force
            $copy = (Import-Mlp -LiteralPath $path)        # the same weights and Adam moments
            $wide = $net.ToDouble()
            $fresh = [MlpTools.Core.Model.Mlp]::FromParameters($wide.W1, $wide.b1, $wide.W2, $wide.b2, 'Single')
            Test-SameWeights $fresh $net | Should -BeTrue                         # the same weights, no optimizer state

            $net | Invoke-Training -Optimizer Adam -Epochs 2 -Seed 2 | Out-Null
            $copy | Invoke-Training -Dataset $digits -Optimizer Adam -Epochs 2 -Seed 2 | Out-Null
            $fresh | Invoke-Training -Dataset $digits -Optimizer Adam -Epochs 2 -Seed 2 | Out-Null
            $net.History.Epoch | Should -Be @(1, 2, 3, 4, 5)
            Test-SameWeights $net $copy | Should -BeTrue
            $net.W1.Equals($fresh.W1) | Should -BeFalse
            # The continued run starts where the first left off.
            $net.History[3].Loss | Should -BeLessThan $net.History[0].Loss
        }

        It 'carries the training state beside the network, not in it: History, BestEpoch and StopReason come from $net.Training' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Optimizer Adam -Epochs 3 -Seed 1
            $net.Training | Should -BeOfType ([MlpTools.Core.Training.TrainingState])
            $net.Training.Optimizer | Should -Be 'Adam'
            $net.History.Count | Should -Be 3
            [object]::ReferenceEquals($net.History, $net.Training.History) | Should -BeTrue
            $net.BestEpoch | Should -Be $net.Training.BestEpoch
            $net.StopReason | Should -Be 'Completed 3 epochs'
            # The network object itself has no such members; a new one has an empty state.
            $net.psobject.BaseObject.GetType().GetProperty('History') | Should -BeNullOrEmpty
            (New-Mlp -InputSize 2 -HiddenSize 3 -ClassCount 2).History.Count | Should -Be 0
        }

        It 'builds the same options from a hashtable as from its parameters, in one line' {
            $options = [MlpTools.Core.Training.TrainingOptions]::FromSettings(@{ Optimizer = 'Adam'; Epochs = 3; Seed = 1; LearningRate = 0.01 })
            $viaEngine = $spiral | New-Mlp -HiddenSize 8 -Seed 1
            $state = [MlpTools.Core.Training.Trainer]::Train($viaEngine, $spiral, $options)
            $viaCmdlet = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Optimizer Adam -Epochs 3 -Seed 1 -LearningRate 0.01
            Test-SameWeights $viaEngine $viaCmdlet | Should -BeTrue
            $state.History.Loss | Should -Be $viaCmdlet.History.Loss
            { [MlpTools.Core.Training.TrainingOptions]::FromSettings(@{ Momentum = 0.5; Optimizer = 'Adam' }) } | Should -Throw '*Momentum applies to Sgd only*'
        }
    }

    Context 'Runs that went wrong without diverging' {
        It 'warns, and says in StopReason, when no epoch improved on the starting weights (learning rate 1000)' {
            $net = $digits | New-Mlp -HiddenSize 32 -Seed 1
            $out = $net | Invoke-Training -Epochs 5 -LearningRate 1000 -Seed 1 -WarningVariable warned -WarningAction SilentlyContinue
            $net.BestEpoch | Should -Be 0
            $net.StopReason | Should -Be 'Completed 5 epochs; no epoch improved on the starting weights, which were kept'
            $warned.Count | Should -Be 1
            "$($warned[0])" | Should -Match '^No epoch of the 5 improved on the weights training started from, so the network keeps those'
            "$($warned[0])" | Should -Match 'the training loss rose from 2\.\d+ \(its starting value\) to [\d.]+E\+\d+ in epoch \d'
            "$($warned[0])" | Should -Match 'Try a smaller -LearningRate \(it was 1000\)'
        }

        It 'measures the rise from where a continued run started' {
            $net = $digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 8 -Optimizer Adam -LearningRate 0.04 -Seed 1
            $start = $net.BestRecord.Loss
            $null = $net | Invoke-Training -Epochs 3 -LearningRate 20 -Seed 1 -WarningVariable warned -WarningAction SilentlyContinue
            "$($warned[0])" | Should -Match 'the training loss rose from 0\.\d+ \(its starting value\) to [\d.]+(E\+\d+)? in epoch'
            $net.BestEpoch | Should -BeLessOrEqual 8
        }

        It 'gives no warning for a run that learned, however high its first epoch started' {
            $null = $digits | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -WarningVariable warned
            $warned | Should -BeNullOrEmpty
            # Monitored on validation data, the starting training loss is not measured: the first epoch's high loss,
            # then a thousand times lower ones, are learning, not a rise.
            $train, $val = $spiral | Split-Dataset -TestFraction 0.3 -Stratify -Seed 1
            $net = $train | New-Mlp -HiddenSize 16 -Seed 1 |
                Invoke-Training -Optimizer Adam -LearningRate 0.01 -Epochs 150 -Scaling Standardize -ValidationDataset $val -Seed 1 -WarningVariable warned
            $warned | Should -BeNullOrEmpty
            $net.StopReason | Should -Be 'Completed 150 epochs'
        }

        It 'keeps the best epoch of an earlier run when a continued run never improves on it' {
            $net = $digits | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 4 -Seed 1
            $best = $net.BestEpoch
            $null = $net | Invoke-Training -Epochs 2 -LearningRate 1000 -Seed 2 -WarningAction SilentlyContinue
            $net.History.Count | Should -Be 6
            $net.BestEpoch | Should -Be $best
        }
    }

    Context 'Divergence' {
        It 'stops with TrainingDiverged at a learning rate of 1e6, naming the epoch and batch, and keeps finite weights' {
            $net = $digits | New-Mlp -HiddenSize 32 -Seed 1
            $initial = $net.Clone()
            $err = { $net | Invoke-Training -LearningRate 1e6 -Seed 1 } | Should -Throw -ErrorId (Get-Id TrainingDiverged) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err.Exception.Message | Should -Match '^Training diverged in epoch 1, batch \d+ of 57: the loss became (NaN|-?Infinity)\.'
            $err.Exception.Message | Should -Match 'Try a smaller -LearningRate \(it was 1000000\)'
            $net.StopReason | Should -Match '^Diverged in epoch 1, batch \d+ of 57$'
            Test-AllFinite $net | Should -BeTrue
            Test-SameWeights $net $initial | Should -BeTrue     # no epoch finished: the weights it started from
        }

        It 'keeps the trained weights when a continued run diverges' {
            $net = $digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1
            $trained = $net.Clone()
            { $net | Invoke-Training -LearningRate 1e6 -Momentum 0 -Seed 1 } | Should -Throw -ErrorId (Get-Id TrainingDiverged)
            $net.StopReason | Should -Match '^Diverged in epoch 4, batch \d+ of 57$'
            Test-SameWeights $net $trained | Should -BeTrue
            ($net | Test-Mlp).Accuracy | Should -BeGreaterThan 0.9
        }

        It 'adds the parameter to use to the engine''s message, which names the setting in the engine''s terms' {
            $err = { $digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -LearningRate 1e6 -Seed 1 } | Should -Throw -ErrorId (Get-Id TrainingDiverged) -PassThru
            $err.TargetObject.Cause | Should -Be 'LearningRate'
            $err.Exception.InnerException.Message | Should -Match 'The LearningRate \(1000000\) is most likely too large\.$'
            $err.Exception.Message | Should -Match 'The LearningRate \(1000000\) is most likely too large\. Try a smaller -LearningRate \(it was 1000000\)\.$'

            $err = { $spiral | New-Mlp -HiddenSize 4 | Invoke-Training -Monitor ValidationLoss } | Should -Throw -ErrorId (Get-Id MonitorNeedsValidation) -PassThru
            $err.Exception.InnerException.Message | Should -Be 'Monitor ValidationLoss needs validation data; pass a validation dataset, or monitor Loss.'
            $err.Exception.Message | Should -Be 'Monitor ValidationLoss needs validation data; pass a validation dataset, or monitor Loss. Invoke-Training takes it as -ValidationDataset or -ValidationFraction.'
        }
    }

    Context 'Precision edges and the cause of divergence' {
        BeforeAll {
            # The first 200 digits with every pixel (in [0, 1]) multiplied by $Factor.
            function Get-LoudDigits([double] $Factor) {
                $small = $digits.Subset([int[]](0..199))
                $x = $small.Features.Multiply($Factor)
                [MlpTools.Core.Data.Dataset]::FromRows([double[]]$x.ToRowMajorArray(), 200, 64, $small.Labels, $small.ClassNames, $small.FeatureNames, 'loud digits', '', $null)
            }
            $edge = @(
                [pscustomobject]@{ small = 0.5; big = 1; label = 0 }
                [pscustomobject]@{ small = -0.25; big = 3.5e38; label = 1 }
                [pscustomobject]@{ small = 0.75; big = -1; label = 0 }
            ) | ConvertTo-Dataset -LabelProperty label -Name edge
        }

        It 'refuses training data a Single network cannot hold before the first epoch, naming row, feature and value; a Double network trains on it' {
            $net = $edge | New-Mlp -HiddenSize 4 -Seed 1
            $err = { $net | Invoke-Training -Epochs 1 -Seed 1 } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'edge', feature 'big': 3.5E+38 *"
            $net.History.Count | Should -Be 0
            $net.Preprocessor | Should -BeNullOrEmpty

            $err = { $net | Invoke-Training -Epochs 1 -Seed 1 -Scaling Standardize } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $net.Preprocessor | Should -BeNullOrEmpty

            $double = $edge | New-Mlp -HiddenSize 4 -Seed 1 -Precision Double | Invoke-Training -Epochs 2 -Seed 1 -Scaling Standardize
            $double.History.Count | Should -Be 2
        }

        It 'trains on raw values near float32''s limit when -Scaling Standardize brings them into range' {
            $wide = @(
                [pscustomobject]@{ a = 3e38; b = 0; label = 0 }
                [pscustomobject]@{ a = -3e38; b = 1; label = 1 }
                [pscustomobject]@{ a = 1e30; b = 0; label = 0 }
                [pscustomobject]@{ a = -1e-40; b = -0.0; label = 1 }
            ) | ConvertTo-Dataset -LabelProperty label -Name wide
            $net = $wide | New-Mlp -HiddenSize 4 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Scaling Standardize
            $net.History.Count | Should -Be 3
            [double]::IsFinite(($net | Test-Mlp).Loss) | Should -BeTrue
        }

        It 'blames inputs out of range when training diverges on them, and advises -Scaling Standardize' {
            $net = Get-LoudDigits 3.2e38 | New-Mlp -HiddenSize 16 -Seed 1
            $err = { $net | Invoke-Training -Epochs 2 -Seed 1 } | Should -Throw -ErrorId (Get-Id TrainingDiverged) -PassThru
            $err.Exception.Message | Should -BeLike '*largest |feature|*3.2E+38*-Scaling Standardize*'
            $err.Exception.Message | Should -Not -BeLike '*smaller -LearningRate*'
        }

        It 'refuses a -Regularization a Single network cannot hold, up front' {
            $net = $digits | New-Mlp -HiddenSize 8 -Seed 1
            $err = { $net | Invoke-Training -Epochs 1 -Regularization 1e300 -Seed 1 } | Should -Throw -ErrorId (Get-Id InvalidRegularization) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -BeLike '*-Regularization 1E+300*Single*'
            $net.History.Count | Should -Be 0
        }

        It 'blames -Regularization when the penalty dominates and training diverges (<Precision>, <Lambda>)' -TestCases @(
            @{ Precision = 'Single'; Lambda = 1e6 }
            @{ Precision = 'Double'; Lambda = 1e300 }
        ) {
            $net = $digits | New-Mlp -HiddenSize 8 -Seed 1 -Precision $Precision
            $err = { $net | Invoke-Training -Epochs 2 -Regularization $Lambda -Seed 1 } | Should -Throw -ErrorId (Get-Id TrainingDiverged) -PassThru
            $err.Exception.Message | Should -BeLike "*-Regularization*$($Lambda.ToString([cultureinfo]::InvariantCulture))*"
            $err.Exception.Message | Should -Not -BeLike '*smaller -LearningRate*'
        }

        It 'says "1 epoch", not "1 epochs"' {
            $lines = @($spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1 -Patience 1 -PlateauPatience 1 -Seed 1 -Verbose -NetworkVariable one 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            $lines[0] | Should -Match ': 1 epoch, Sgd .*learning rate x 0\.5 after 1 epoch without improvement, stop after 1 epoch without improvement'
            $one.StopReason | Should -Be 'Completed 1 epoch'
            $lines[-1] | Should -Match '^Completed 1 epoch; '
        }
    }

    Context 'Reproducibility' {
        It 'gives bit-identical weights and history (but Seconds) for the same seeds in two fresh processes' {
            $run = {
                $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 32 -Seed 7 |
                    Invoke-Training -Epochs 4 -Seed 7 -Optimizer Adam -ValidationFraction 0.2 -ClassWeight Balanced -Scaling Standardize
                $bytes = {
                    param([single[]] $values)
                    $b = [byte[]]::new($values.Length * 4)
                    [Buffer]::BlockCopy($values, 0, $b, 0, $b.Length)
                    [Convert]::ToBase64String($b)
                }
                [pscustomobject]@{
                    W1      = & $bytes $net.W1.ToColumnMajorArray()
                    b1      = & $bytes $net.b1.ToArray()
                    W2      = & $bytes $net.W2.ToColumnMajorArray()
                    b2      = & $bytes $net.b2.ToArray()
                    History = @($net.History | ForEach-Object {
                            @($_.Epoch, $_.Loss, $_.Accuracy, $_.ValidationLoss, $_.ValidationAccuracy, $_.LearningRate, $_.GradientNormW1, $_.GradientNormW2) |
                                ForEach-Object { $_.ToString('R', [cultureinfo]::InvariantCulture) }
                        }) -join ' '
                }
            }
            $first = Invoke-InFreshPwsh $run
            $second = Invoke-InFreshPwsh $run
            $first.ExitCode | Should -Be 0 -Because $first.StdErr
            $second.ExitCode | Should -Be 0 -Because $second.StdErr
            $a = $first.Output[0]
            $b = $second.Output[0]
            $a.W1.Length | Should -Be ([Math]::Ceiling(64 * 32 * 4 / 3) * 4)
            $a.W1 | Should -BeExactly $b.W1
            $a.b1 | Should -BeExactly $b.b1
            $a.W2 | Should -BeExactly $b.W2
            $a.b2 | Should -BeExactly $b.b2
            $a.History | Should -BeExactly $b.History
        }
    }

    Context 'Progress, verbose output and Ctrl+C' {
        It 'writes one verbose line per epoch, with the learning rate and gradient norms' {
            $lines = @($spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 4 -Seed 1 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            @($lines -match '^Epoch \d+: loss \d\.\d{4}, accuracy \d\.\d{4}, learning rate 0\.05, \|dW1\| \S+, \|dW2\| \S+, \d+\.\d{3} s$').Count | Should -Be 4
            $lines[0] | Should -Match '^Training Mlp 2-8-3 .* on ''Spiral'' \(300 samples\): 4 epochs, Sgd \(momentum 0\.9\), batch size 32, learning rate 0\.05'
            $lines[-1] | Should -Match '^Completed 4 epochs; the network holds the weights of epoch \d, its best\.$'
        }

        It 'is quiet unless asked: only the network comes out' {
            $ps = New-ModuleRunspace 'Invoke-Training -Network $Arguments[0] -Epochs 3 -Seed 1 -ValidationFraction 0.2 -CheckpointPath $Arguments[1]' @(
                ($digits | New-Mlp -HiddenSize 8 -Seed 1), (Join-Path $TestDrive 'quiet.safetensors'))
            try {
                $out = $ps.Invoke()
                @($out).Count | Should -Be 1
                $out[0] | Should -BeOfType ([MlpTools.Core.Model.Mlp])
                $ps.Streams.Verbose.Count + $ps.Streams.Warning.Count + $ps.Streams.Information.Count + $ps.Streams.Error.Count + $ps.Streams.Debug.Count | Should -Be 0
            }
            finally { $ps.Dispose() }
        }

        It 'writes throttled progress (at most about 4 a second) with the time left, and completes it' {
            $ps = New-ModuleRunspace '$n = $Arguments[0]; Invoke-Training -Network $n -Epochs 40 -Seed 1 | Out-Null' @(, ($digits | New-Mlp -HiddenSize 32 -Seed 1))
            try {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $null = $ps.Invoke()
                $seconds = $clock.Elapsed.TotalSeconds
                $records = @($ps.Streams.Progress)
                $records.Count | Should -BeGreaterThan 1
                $records.Count | Should -BeLessOrEqual ([math]::Ceiling($seconds * 4) + 2)
                $records[-1].RecordType | Should -Be 'Completed'
                $records[0].StatusDescription | Should -Match '^Epoch 1 of 40, batch \d+ of 57, loss \d'
                $running = $records | Select-Object -SkipLast 1
                $running | ForEach-Object { $_.SecondsRemaining | Should -BeGreaterOrEqual 0 }
                # Once a tenth is done, the time left is a fair extrapolation of the time so far.
                $running | Where-Object PercentComplete -GE 10 | ForEach-Object { $_.SecondsRemaining | Should -BeLessThan (2 * $seconds + 1) }
                $percent = @($running.PercentComplete)
                for ($i = 1; $i -lt $percent.Count; $i++) { $percent[$i] | Should -BeGreaterOrEqual $percent[$i - 1] }
            }
            finally { $ps.Dispose() }
        }

        It 'stops on Ctrl+C before the next mini-batch, keeping the best weights reached' {
            $net = $spiral | New-Mlp -HiddenSize 32 -Seed 1
            $initial = $net.W1.Clone()
            $ps = New-ModuleRunspace 'Invoke-Training -Network $Arguments[0] -Epochs 1000000 -Seed 1' @(, $net)
            try {
                $null = $ps.BeginInvoke()
                Wait-Until { $net.History.Count -ge 3 }
                $ps.Stop()
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                $net.StopReason | Should -Match '^Interrupted in epoch \d+, batch \d+ of 10$'
                $net.History.Count | Should -BeGreaterOrEqual 3
                $net.History.Count | Should -BeLessThan 1000000
                $net.BestEpoch | Should -BeIn (1..$net.History.Count)
                Test-AllFinite $net | Should -BeTrue
                $net.W1.Equals($initial) | Should -BeFalse
                ($net | Test-Mlp).Count | Should -Be 300
            }
            finally { $ps.Dispose() }
        }

        It 'stops the pipeline form on Ctrl+C within 2 s; -NetworkVariable and the checkpoint give the best epoch''s network' {
            $folder = Join-Path $TestDrive 'ctrl-c'
            $null = New-Item -ItemType Directory -Path $folder
            $checkpoint = Join-Path $folder 'best.safetensors'
            $ps = New-ModuleRunspace @'
Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 |
    Invoke-Training -Epochs 100000 -ValidationFraction 0.2 -Seed 1 -CheckpointPath $Arguments[0] -NetworkVariable net -Verbose
'@ @($checkpoint)
            try {
                $null = $ps.BeginInvoke()
                Wait-Until { $ps.Streams.Verbose.Count -ge 3 }      # the settings line, then one line per epoch
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'

                $net = $ps.Runspace.SessionStateProxy.GetVariable('net')
                $net.StopReason | Should -Match '^Interrupted in epoch \d+, batch \d+ of 45$'
                $net.History.Count | Should -BeGreaterOrEqual 2
                $best = $net.History[$net.BestEpoch - 1]
                $best.ValidationLoss | Should -Be ($net.History.ValidationLoss | Measure-Object -Minimum).Minimum
                # The weights the network holds are the best epoch's: they give exactly its validation loss ...
                (Test-Mlp -Network $net -Dataset (Get-ValidationPart $digits 0.2 1).Test).Loss | Should -Be $best.ValidationLoss
                # ... and are the ones in the checkpoint, the only file in its folder (no temporary file is left).
                $saved = (Import-Mlp -LiteralPath $checkpoint)
                Test-SameWeights $saved $net | Should -BeTrue
                $saved.BestEpoch | Should -Be $net.BestEpoch
                @(Get-ChildItem -LiteralPath $folder -Force).Name | Should -Be 'best.safetensors'
            }
            finally { $ps.Dispose() }
        }
    }

    Context 'Bad parameters' {
        It 'reports a network with no data to train on' {
            $err = { New-Mlp -InputSize 2 -HiddenSize 4 -ClassCount 3 | Invoke-Training } | Should -Throw -ErrorId (Get-Id NoDataset) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match 'give -Dataset'
        }

        It 'reports data whose feature count differs from the network''s' {
            $net = $spiral | New-Mlp -HiddenSize 4
            $err = { $net | Invoke-Training -Dataset $digits } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match "'Digits' has 64 features per sample, but the network takes 2 inputs"
            [object]::ReferenceEquals($err.TargetObject, $digits) | Should -BeTrue
        }

        It 'reports a label outside the network''s classes' {
            $net = New-Mlp -InputSize 2 -HiddenSize 4 -ClassCount 2
            $err = { $net | Invoke-Training -Dataset $spiral } | Should -Throw -ErrorId (Get-Id LabelOutOfRange) -PassThru
            $err.Exception.Message | Should -Match 'label 2, but the network has only 2 classes'
        }

        It 'rejects -<Parameter> <Value>' -TestCases @(
            @{ Parameter = 'Epochs'; Value = 0; Optimizer = 'Sgd' }
            @{ Parameter = 'BatchSize'; Value = -1; Optimizer = 'Sgd' }
            @{ Parameter = 'LearningRate'; Value = 0; Optimizer = 'Sgd' }
            @{ Parameter = 'Regularization'; Value = -0.1; Optimizer = 'Sgd' }
            @{ Parameter = 'Momentum'; Value = 1; Optimizer = 'Sgd' }
            @{ Parameter = 'Beta1'; Value = 1; Optimizer = 'Adam' }
            @{ Parameter = 'Beta2'; Value = -0.1; Optimizer = 'Adam' }
            @{ Parameter = 'Rho'; Value = 1; Optimizer = 'RmsProp' }
            @{ Parameter = 'Epsilon'; Value = 0; Optimizer = 'Adam' }
            @{ Parameter = 'LearningRateDecay'; Value = 1.5; Optimizer = 'Sgd' }
            @{ Parameter = 'PlateauPatience'; Value = 0; Optimizer = 'Sgd' }
            @{ Parameter = 'PlateauFactor'; Value = 1; Optimizer = 'Sgd' }
            @{ Parameter = 'MinLearningRate'; Value = -1; Optimizer = 'Sgd' }
            @{ Parameter = 'Patience'; Value = 0; Optimizer = 'Sgd' }
            @{ Parameter = 'MinDelta'; Value = -0.01; Optimizer = 'Sgd' }
        ) {
            $splat = @{ $Parameter = $Value; Optimizer = $Optimizer }
            $net = $spiral | New-Mlp -HiddenSize 4
            $err = { $net | Invoke-Training @splat } | Should -Throw -ErrorId (Get-Id "Invalid$Parameter") -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match "^$Parameter must be"
            $net.History.Count | Should -Be 0
        }
    }
}

Describe 'Invoke-Training on Fashion-MNIST' -Tag FashionMnist -Skip:(-not $hasFashionMnist) {
    # The issue's "done means" for real data: 60,000 training and 10,000 test images of 28 x 28 pixels in [0,1]
    # (Import-Dataset scales the bytes), so no -Scaling. Both runs together take 40 to 60 s on a 2-core machine, so
    # they are part of the default run whenever the data is there. Run them alone with:
    #     dotnet pwsh tools/Invoke-Pester.ps1 -Path tests/Pester/Invoke-Training.Tests.ps1 -FullNameFilter '*Fashion-MNIST*'
    BeforeAll {
        $folder = '/usr/share/datasets/fashion-mnist'
        $fashionTrain = Import-Dataset -Path (Join-Path $folder 'train-images-idx3-ubyte.gz') -LabelPath (Join-Path $folder 'train-labels-idx1-ubyte.gz')
        $fashionTest = Import-Dataset -Path (Join-Path $folder 't10k-images-idx3-ubyte.gz') -LabelPath (Join-Path $folder 't10k-labels-idx1-ubyte.gz')
    }

    It 'has 60,000 training and 10,000 test images of 784 pixels' {
        $fashionTrain.Count | Should -Be 60000
        $fashionTest.Count | Should -Be 10000
        $fashionTrain.FeatureCount | Should -Be 784
    }

    It '784-256-10 with Adam reaches at least 0.885 test accuracy in 20 epochs' {
        $net = $fashionTrain | New-Mlp -HiddenSize 256 -Seed 1 | Invoke-Training -Optimizer Adam -Epochs 20 -BatchSize 200 -Seed 1
        $accuracy = (Test-Mlp -Network $net -Dataset $fashionTest).Accuracy
        Write-Host ('    784-256-10 Adam: test accuracy {0:0.0000} after {1} epochs in {2:0.0} s' -f $accuracy, $net.History.Count, ($net.History.Seconds | Measure-Object -Sum).Sum)
        $accuracy | Should -BeGreaterOrEqual 0.885
    }

    It '784-100-10 with SGD and momentum reaches at least 0.87 test accuracy in 20 epochs' {
        $net = $fashionTrain | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training -Optimizer Sgd -Momentum 0.9 -LearningRate 0.05 -Epochs 20 -BatchSize 200 -Seed 1
        $accuracy = (Test-Mlp -Network $net -Dataset $fashionTest).Accuracy
        Write-Host ('    784-100-10 SGD + momentum: test accuracy {0:0.0000} after {1} epochs in {2:0.0} s' -f $accuracy, $net.History.Count, ($net.History.Seconds | Measure-Object -Sum).Sum)
        $accuracy | Should -BeGreaterOrEqual 0.87
    }
}
