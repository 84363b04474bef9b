BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
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
            $a.W1.Equals($b.W1) -and $a.b1.Equals($b.b1) -and $a.W2.Equals($b.W2) -and $a.b2.Equals($b.b2) | Should -BeTrue
            $a.W1.Equals($c.W1) | Should -BeFalse
        }
    }

    Context 'Pipeline and binding' {
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
    }

    Context 'History' {
        It 'records loss, accuracy and seconds per epoch, and validation figures when asked' {
            $train, $validation = $spiral | Split-Dataset -TestFraction 0.2 -Seed 1
            $net = $train | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ValidationDataset $validation
            $net.History.Count | Should -Be 3
            $record = $net.History[2]
            $record | Should -BeOfType ([MlpTools.Core.Training.EpochRecord])
            $record.Loss | Should -BeOfType ([double])
            $record.Accuracy | Should -BeGreaterThan 0
            $record.ValidationLoss | Should -BeGreaterThan 0
            $record.ValidationAccuracy | Should -BeGreaterThan 0
            $record.Seconds | Should -BeGreaterThan 0
        }

        It 'leaves the validation figures empty without validation data' {
            $net = $spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 1
            $net.History[0].ValidationLoss | Should -BeNullOrEmpty
        }
    }

    Context 'Progress, verbose output and Ctrl+C' {
        It 'writes one verbose line per epoch' {
            $lines = @($spiral | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 4 -Seed 1 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            @($lines -match '^Epoch \d+: loss').Count | Should -Be 4
            $lines[0] | Should -Match '^Training Mlp 2-8-3'
        }

        It 'writes throttled progress (at most about 4 a second) and completes it' {
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
            }
            finally { $ps.Dispose() }
        }

        It 'stops on Ctrl+C before the next mini-batch, keeping the weights reached' {
            $net = $spiral | New-Mlp -HiddenSize 32 -Seed 1
            $initial = $net.W1.Clone()
            $ps = New-ModuleRunspace 'Invoke-Training -Network $Arguments[0] -Epochs 1000000 -Seed 1' @(, $net)
            try {
                $handle = $ps.BeginInvoke()
                $clock = [Diagnostics.Stopwatch]::StartNew()
                while ($net.History.Count -lt 3 -and $clock.Elapsed.TotalSeconds -lt 30) { Start-Sleep -Milliseconds 10 }
                $ps.Stop()
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                $net.StopReason | Should -Match '^Interrupted in epoch \d+, batch \d+ of 10$'
                $net.History.Count | Should -BeGreaterOrEqual 3
                $net.History.Count | Should -BeLessThan 1000000
                ($net.W1.Enumerate() | Where-Object { [float]::IsNaN($_) }) | Should -BeNullOrEmpty
                $net.W1.Equals($initial) | Should -BeFalse
                ($net | Test-Mlp).Count | Should -Be 300
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
            @{ Parameter = 'Epochs'; Value = 0 }
            @{ Parameter = 'BatchSize'; Value = -1 }
            @{ Parameter = 'LearningRate'; Value = 0 }
            @{ Parameter = 'Regularization'; Value = -0.1 }
            @{ Parameter = 'Momentum'; Value = 1 }
        ) {
            $splat = @{ $Parameter = $Value }
            $net = $spiral | New-Mlp -HiddenSize 4
            $err = { $net | Invoke-Training @splat } | Should -Throw -ErrorId (Get-Id "Invalid$Parameter") -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match "^$Parameter must be"
            $net.History.Count | Should -Be 0
        }
    }

    It 'declares both precisions as output types' {
        $types = (Get-Command Invoke-Training).OutputType.Type
        $types | Should -Contain ([MlpTools.Core.Model.Mlp[single]])
        $types | Should -Contain ([MlpTools.Core.Model.Mlp[double]])
    }
}
