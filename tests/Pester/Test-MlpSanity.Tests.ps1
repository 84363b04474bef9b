BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $savedCulture = [cultureinfo]::CurrentCulture
    [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture
    $digits = Import-Dataset -Name Digits
    $checks = 'InitialLoss', 'RegularizationRaisesLoss', 'DataGradient', 'RegularizationGradient', 'Overfit', 'UpdateRatio'
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.TestMlpSanityCommand" }

    # The one result of -Check $Check with the parameters given, and the warnings it wrote.
    function Invoke-Check([string] $Check, [hashtable] $Parameters = @{}) {
        $result = $digits | Test-MlpSanity -Check $Check @Parameters -WarningVariable warned -WarningAction SilentlyContinue
        [pscustomobject]@{ Result = $result; Warnings = @($warned | ForEach-Object Message) }
    }

    function New-ModuleRunspace([string] $Script, [object[]] $Arguments = @()) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("param(`$ModulePath, `$Arguments) Import-Module `$ModulePath; $Script")
        $null = $ps.AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($Arguments)
        return $ps
    }
}

AfterAll {
    [cultureinfo]::CurrentCulture = $savedCulture
}

Describe 'Test-MlpSanity' {
    Context 'Digits with the defaults' {
        BeforeAll {
            $results = @(Import-Dataset -Name Digits | Test-MlpSanity -WarningVariable warnings)
        }

        It 'passes every check, one result per check in order, with no advice and no warning' {
            $results.Check | Should -Be $checks
            $results | ForEach-Object { $_ | Should -BeOfType ([MlpTools.Core.Inspection.SanityCheckResult]) }
            $results | ForEach-Object { $_.Passed | Should -BeTrue -Because "$($_.Check): $($_.Measured)" }
            $results | ForEach-Object { $_.Advice | Should -BeExactly '' }
            $warnings | Should -BeNullOrEmpty
        }

        It 'says what was expected and what was measured, with the numbers on the result' {
            $results[0].Expected | Should -Match '^ln 10 = 2\.3026: within 1% at scale 0\.0001, 25% at Glorot'
            $results[0].Measured | Should -Match '^2\.3026 at scale 0\.0001, '
            $results[0].Measurements.LnC | Should -Be ([math]::Log(10))
            $results[2].Measurements.W1 | Should -BeLessThan 1e-7
            $results[4].Measurements.Accuracy | Should -Be 1
            $results[5].Measurements.W2 | Should -BeGreaterThan 1e-4
            $results[5].Measurements.W2 | Should -BeLessThan 1e-2
            $results[5].Measurements.W2 | Should -BeOfType ([double])
        }

        It 'gives the same verdict and numbers every time (seed 0 without -Seed)' {
            $again = @($digits | Test-MlpSanity)
            $again.Measured | Should -Be $results.Measured
            @($digits | Test-MlpSanity -Seed 0).Measured | Should -Be $results.Measured
            @($digits | Test-MlpSanity -Seed 7 -Check InitialLoss).Measured | Should -Not -Be $results[0].Measured
        }

        It 'shows a table of Check, Passed, Expected and Measured that fits 80 columns, words unbroken' {
            $text = $results | Out-String -Width 79
            $text | Should -Match 'Check\s+Passed\s+Expected\s+Measured'
            $text | Should -Match 'RegularizationRaisesLoss True\s+Rises with lambda'
            $text | Should -Match 'UpdateRatio\s+True\s+'
            ($text -split '\r?\n' | Where-Object { $_.Length -gt 79 }) | Should -BeNullOrEmpty
            $text | Should -Match '(?m)^\s+classes\) within 500\s'   # wrapped between words
        }
    }

    Context 'A planted fault fails its check, with advice' {
        It 'fails InitialLoss on initial weights far too large (-WeightScale 10)' {
            $r = Invoke-Check InitialLoss @{ WeightScale = 10 }
            $r.Result.Passed | Should -BeFalse
            $r.Result.Advice | Should -Match 'too large: use a much smaller -WeightScale'
            $r.Warnings | Should -Be @("InitialLoss failed: $($r.Result.Advice)")
            $r.Result.Measurements.InitialLoss | Should -BeGreaterThan 100
        }

        It 'fails RegularizationRaisesLoss on weights that are all zero (-WeightScale 0)' {
            $r = Invoke-Check RegularizationRaisesLoss @{ WeightScale = 0 }
            $r.Result.Passed | Should -BeFalse
            $r.Result.Advice | Should -Match '^Every weight is zero'
            $r.Warnings | Should -HaveCount 1
        }

        It 'fails Overfit on <Fault>' -TestCases @(
            @{ Fault = 'a learning rate 10,000 times too small'; Parameters = @{ LearningRate = 0.05e-4 }; Advice = 'far too small' }
            @{ Fault = 'a learning rate 10,000 times too large'; Parameters = @{ LearningRate = 0.05e4 }; Advice = 'too large' }
            @{ Fault = 'one hidden unit'; Parameters = @{ HiddenSize = 1 }; Advice = 'too little capacity \(-HiddenSize 1\)' }
        ) {
            $r = Invoke-Check Overfit $Parameters
            $r.Result.Passed | Should -BeFalse
            $r.Result.Advice | Should -Match $Advice
            $r.Warnings | Should -HaveCount 1
        }

        It 'fails UpdateRatio on a learning rate 10,000 times too <Way>, and suggests one that passes' -TestCases @(
            @{ Way = 'large'; Rate = 0.05e4; Advice = 'too high' }
            @{ Way = 'small'; Rate = 0.05e-4; Advice = 'too low' }
        ) {
            $r = Invoke-Check UpdateRatio @{ LearningRate = $Rate }
            $r.Result.Passed | Should -BeFalse
            $r.Result.Advice | Should -Match $Advice
            $r.Warnings | Should -HaveCount 1
            $suggested = [double]($r.Result.Advice -replace '.*A -LearningRate of about (\S+) would.*', '$1')
            (Invoke-Check UpdateRatio @{ LearningRate = $suggested }).Result.Passed | Should -BeTrue
        }

        It 'fails UpdateRatio for Adam too' {
            (Invoke-Check UpdateRatio @{ Optimizer = 'Adam'; LearningRate = 10 }).Result.Passed | Should -BeFalse
        }

        It 'shows a failed check''s advice in its list view' {
            $text = (Invoke-Check UpdateRatio @{ LearningRate = 500 }).Result | Format-List | Out-String -Width 200
            $text | Should -Match 'Passed\s+: False'
            $text | Should -Match 'Advice\s+: The steps are too large for the weights'
            $text | Should -Match 'Measurements : W1 \S+, W2 \S+, UpdateW1'
        }
    }

    Context 'Settings' {
        It 'runs only the checks asked for, in the checklist''s order' {
            @($digits | Test-MlpSanity -Check UpdateRatio, InitialLoss).Check | Should -Be @('InitialLoss', 'UpdateRatio')
        }

        It 'takes the training settings as Invoke-Training does' {
            $r = @($digits | Test-MlpSanity -Optimizer Adam -Beta1 0.8 -LearningRate 0.002 -BatchSize 16 -Regularization 0.01 -Check RegularizationGradient, UpdateRatio)
            $r.Passed | Should -Be @($true, $true)
            $r[0].Expected | Should -Match 'lambda 0\.01, m = 20'
            $r[1].Measurements.LearningRate | Should -Be 0.002
        }

        It 'takes -Scaling, -ClassWeight and -Precision' {
            $r = @($digits | Test-MlpSanity -Scaling Standardize -ClassWeight Balanced -Precision Double -Check InitialLoss, DataGradient)
            $r.Passed | Should -Be @($true, $true)
            $r[0].Expected | Should -Match 'mean class weight'
        }

        It 'says when UpdateRatio does not apply (Lbfgs)' {
            $r = (Invoke-Check UpdateRatio @{ Optimizer = 'Lbfgs' }).Result
            $r.Passed | Should -BeTrue
            $r.Expected | Should -Match '^Does not apply to Lbfgs'
        }
    }

    Context 'Errors' {
        It 'refuses <What>' -TestCases @(
            @{ What = 'a setting of another optimizer'; Run = { $digits | Test-MlpSanity -Optimizer Adam -Momentum 0.5 }; Id = 'ParameterNotApplicable' }
            @{ What = 'a learning rate that is not above 0'; Run = { $digits | Test-MlpSanity -LearningRate 0 }; Id = 'InvalidLearningRate' }
            @{ What = 'no hidden units'; Run = { $digits | Test-MlpSanity -HiddenSize 0 }; Id = 'InvalidHiddenSize' }
            @{ What = 'a negative weight scale'; Run = { $digits | Test-MlpSanity -WeightScale -1 }; Id = 'InvalidWeightScale' }
            @{ What = 'an empty dataset'; Run = { $digits.Subset([int[]]@()) | Test-MlpSanity }; Id = 'EmptyDataset' }
            @{ What = 'rows that are not a dataset'; Run = { [pscustomobject]@{ a = 1; label = 0 } | Test-MlpSanity }; Id = 'InputNotADataset' }
            @{ What = 'class weights that do not fit the classes'; Run = { $digits | Test-MlpSanity -ClassWeight 1, 2 }; Id = 'ClassWeightCountMismatch' }
        ) {
            { & $Run } | Should -Throw -ErrorId (Get-Id $Id)
        }
    }

    Context 'Progress and Ctrl+C' {
        It 'writes progress naming each check, and completes it' {
            $ps = New-ModuleRunspace 'Import-Dataset -Name Digits | Test-MlpSanity | Out-Null'
            try {
                $null = $ps.Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                $records = @($ps.Streams.Progress)
                $records.Count | Should -BeGreaterThan 0
                $records[0].StatusDescription | Should -Be 'Check 1 of 6: InitialLoss'
                $records[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
        }

        It 'stops on Ctrl+C within 2 s, in the middle of a long check' {
            # A large network on wide data, and a learning rate too small to ever fit: Overfit would take its 500 epochs.
            $ps = New-ModuleRunspace @'
$x = [MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.Random(100, 2000, 1)
$data = [MlpTools.Core.Data.Dataset]::FromMatrix($x, [int[]](0..99 | ForEach-Object { $_ % 10 }), 10, 'wide', '')
$data | Test-MlpSanity -HiddenSize 2048 -LearningRate 1e-9 -Check Overfit
'@
            try {
                $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
                $null = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
                $clock = [Diagnostics.Stopwatch]::StartNew()
                while (-not ($ps.Streams.Progress | Where-Object StatusDescription -Match 'Overfit: epoch')) {
                    if ($clock.Elapsed.TotalSeconds -gt 60) { throw 'Overfit never started.' }
                    Start-Sleep -Milliseconds 10
                }
                $clock.Restart()
                $ps.Stop()
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                $output.Count | Should -Be 0
            }
            finally { $ps.Dispose() }
        }
    }
}
