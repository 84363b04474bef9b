# Invoke-MlpSweep: grids and random searches, scored on held-out data or by cross-validation, trials side by side in
# this process; every trial's result the same bits whatever the throttle, and the same as training it alone.
# The sweep over remote sessions is in Invoke-MlpSweep.Sessions.Tests.ps1.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $digits = Import-Dataset -Name Digits
    $spiral = Import-Dataset -Name Spiral -Seed 4
}

Describe 'Invoke-MlpSweep: a grid' {
    BeforeAll {
        $results = @($digits | Invoke-MlpSweep @{ HiddenSize = 16, 32; LearningRate = 0.1, 0.02 } -Seed 5)
    }

    It 'writes one result per combination, the settings as properties in name order, the last varying fastest' {
        $results.Count | Should -Be 4
        $sorted = $results | Sort-Object Trial
        $sorted.Trial | Should -Be 1, 2, 3, 4
        $sorted.HiddenSize | Should -Be 16, 16, 32, 32
        $sorted.LearningRate | Should -Be 0.1, 0.02, 0.1, 0.02
        $names = $sorted[0].PSObject.Properties.Name
        $names[0..3] | Should -Be 'Trial', 'HiddenSize', 'LearningRate', 'Score'
        "$($sorted[0].Settings)" | Should -Be 'HiddenSize=16 LearningRate=0.1'
        $results | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'MlpTools.SweepResult' }
    }

    It 'scores each trial on the held-out fifth: the validation accuracy of the network it trained' {
        foreach ($r in $results) {
            $r.Status | Should -Be 'Completed'
            $r.Score | Should -BeGreaterThan 0.5
            $r.ScoreSpread | Should -Be 0
            @($r.FoldScores).Count | Should -Be 1
            $r.Epochs | Should -Be 20
            $r.ComputerName | Should -Be 'localhost'
        }
    }

    It 'marks exactly the best trial (highest score) and keeps only its network' {
        $best = @($results | Where-Object IsBest)
        $best.Count | Should -Be 1
        $best[0].Score | Should -Be ($results.Score | Measure-Object -Maximum).Maximum
        $best[0].Network | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        $best[0].Network.HiddenSize | Should -Be $best[0].HiddenSize
        $best[0].Network.History.Count | Should -Be 20
        $best[0].Network.Dataset.Name | Should -Be 'Digits'
        @($results | Where-Object { -not $_.IsBest -and $_.Network }).Count | Should -Be 0
    }

    It 'gives each trial the network and training of New-Mlp | Invoke-Training with its settings and seed, bit for bit' {
        $best = $results | Where-Object IsBest
        # The sweep's hold-out is Split-Dataset's stratified split with the sweep's seed.
        $train, $held = Split-Dataset -Dataset $digits -TestFraction 0.2 -Stratify -Seed 5
        $alone = New-Mlp -Dataset $train -HiddenSize $best.HiddenSize -Seed $best.Seed |
            Invoke-Training -ValidationDataset $held -LearningRate $best.LearningRate -Seed $best.Seed
        Get-ParameterHash $alone | Should -Be (Get-ParameterHash $best.Network)
        $alone.History.Loss | Should -Be $best.Network.History.Loss
        (Test-Mlp -Network $alone -Dataset $held).Accuracy | Should -Be $best.Score
    }

    It 'exports to CSV with the settings as columns, and the settings and fold scores as readable text' {
        $file = Join-Path $TestDrive 'sweep.csv'
        $results | Export-Csv -LiteralPath $file
        $rows = Import-Csv -LiteralPath $file
        $rows.Count | Should -Be 4
        $rows[0].PSObject.Properties.Name | Should -Contain 'LearningRate'
        $rows[0].Settings | Should -Match '^HiddenSize=\d+ LearningRate=0\.\d+$'
        $rows[0].FoldScores | Should -Match '^0\.\d{4}$'
    }
}

Describe 'Invoke-MlpSweep: the same bits whatever runs it' {
    It 'gives bit-identical results, networks included, with -ThrottleLimit 1, 2 and 4' {
        $space = @{ HiddenSize = 8, 24, 40; LearningRate = 0.2, 0.05; Epochs = 4 }
        $runs = foreach ($throttle in 1, 2, 4) {
            , (Get-Fingerprint ($digits | Invoke-MlpSweep $space -Seed 11 -ThrottleLimit $throttle -KeepNetwork All))
        }
        $runs[0].Count | Should -Be 6
        $runs[0] | Where-Object { $_ -notmatch '\|([A-Za-z0-9+/=]{44}:){3}[A-Za-z0-9+/=]{44}$' } | Should -BeNullOrEmpty # every result has its network
        $runs[1] | Should -Be $runs[0]
        $runs[2] | Should -Be $runs[0]
    }

    It 'repeats a random search with the same -Seed, and draws another with another seed' {
        $space = @{ HiddenSize = @{ Integer = 4, 12 }; LearningRate = @{ LogUniform = 0.01, 0.5 }; Epochs = 2 }
        $a = Get-Fingerprint ($spiral | Invoke-MlpSweep $space -TrialCount 4 -Seed 3 -KeepNetwork All)
        $b = Get-Fingerprint ($spiral | Invoke-MlpSweep $space -TrialCount 4 -Seed 3 -KeepNetwork All -ThrottleLimit 1)
        $c = Get-Fingerprint ($spiral | Invoke-MlpSweep $space -TrialCount 4 -Seed 4 -KeepNetwork All)
        $b | Should -Be $a
        $c | Should -Not -Be $a
    }

    It 'without -Seed draws one, shown on the results as trial seeds that repeat the trial' {
        $r = @($spiral | Invoke-MlpSweep @{ HiddenSize = 6; Epochs = 2 } -KeepNetwork All)
        $r.Count | Should -Be 1
        $r[0].Seed | Should -BeOfType ([int])
    }
}

Describe 'Invoke-MlpSweep: random search' {
    BeforeAll {
        $space = [ordered]@{
            LearningRate = @{ LogUniform = 1e-3, 1e-1 }
            HiddenSize   = @{ Integer = 5, 9 }
            Momentum     = @{ Uniform = 0.5, 0.95 }
            BatchSize    = @{ LogInteger = 8, 64 }
            Precision    = 'Single', 'Double'
            Epochs       = 2
        }
        $results = @($spiral | Invoke-MlpSweep $space -TrialCount 40 -Seed 9 -KeepNetwork None)
    }

    It 'draws -TrialCount trials, every value inside its range and of its kind' {
        $results.Count | Should -Be 40
        foreach ($r in $results) {
            $r.LearningRate | Should -BeGreaterOrEqual 1e-3
            $r.LearningRate | Should -BeLessOrEqual 1e-1
            $r.HiddenSize | Should -BeOfType ([int])
            $r.HiddenSize | Should -BeGreaterOrEqual 5
            $r.HiddenSize | Should -BeLessOrEqual 9
            $r.Momentum | Should -BeGreaterOrEqual 0.5
            $r.Momentum | Should -BeLessOrEqual 0.95
            $r.BatchSize | Should -BeOfType ([int])
            $r.BatchSize | Should -BeGreaterOrEqual 8
            $r.BatchSize | Should -BeLessOrEqual 64
            $r.Precision | Should -BeIn 'Single', 'Double'
            $r.Epochs | Should -Be 2
            $r.Network | Should -BeNullOrEmpty
        }
    }

    It 'keeps an ordered table''s order for the properties' {
        $results[0].PSObject.Properties.Name[1..6] | Should -Be 'LearningRate', 'HiddenSize', 'Momentum', 'BatchSize', 'Precision', 'Epochs'
    }

    It 'spreads a log-uniform range evenly over its decades, and an integer range over every value' {
        $low = @($results | Where-Object LearningRate -lt 1e-2).Count
        $low | Should -BeGreaterThan 8   # about half of 40 in the lower decade (uniform would give about 4)
        $low | Should -BeLessThan 32
        ($results.HiddenSize | Sort-Object -Unique) | Should -Be 5, 6, 7, 8, 9
    }

    It 'sweeps class weights and scaling, $null leaving a setting off in its trials' {
        $space = [ordered]@{ HiddenSize = 6; ClassWeight = $null, 'Balanced'; Scaling = $null, 'Standardize'; Epochs = 2 }
        $r = @($spiral | Invoke-MlpSweep $space -Seed 2 -KeepNetwork All | Sort-Object Trial)
        $r.Count | Should -Be 4
        $r[0].ClassWeight | Should -BeNullOrEmpty
        $r[0].Scaling | Should -BeNullOrEmpty
        $r[0].Network.Preprocessor | Should -BeNullOrEmpty
        "$($r[1].Scaling)" | Should -Be 'Standardize'
        "$($r[1].Network.Preprocessor.Kind)" | Should -Be 'Standardize'
        "$($r[3].ClassWeight)" | Should -Be 'Balanced'
        "$($r[3].Settings)" | Should -Be 'HiddenSize=6 ClassWeight=Balanced Scaling=Standardize Epochs=2'
        # Trial 3 is Invoke-Training -ClassWeight Balanced on the sweep's training part.
        $train, $held = Split-Dataset -Dataset $spiral -TestFraction 0.2 -Stratify -Seed 2
        $alone = New-Mlp -Dataset $train -HiddenSize 6 -Seed $r[2].Seed |
            Invoke-Training -ValidationDataset $held -ClassWeight Balanced -Epochs 2 -Seed $r[2].Seed
        $alone.History.Loss | Should -Be $r[2].Network.History.Loss
    }

    It 'refuses $null for a setting that has a value in every trial' {
        $err = { $spiral | Invoke-MlpSweep @{ HiddenSize = $null, 8 } -Seed 1 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'InvalidSweepValue,MlpTools.Commands.InvokeMlpSweepCommand'
    }

    It 'trains each network in the precision it drew' {
        $r = @($spiral | Invoke-MlpSweep @{ HiddenSize = 4; Precision = 'Double'; Epochs = 1 } -Seed 1)
        $r[0].Network.Precision | Should -Be 'Double'
    }
}

Describe 'Invoke-MlpSweep: cross-validation' {
    BeforeAll {
        $results = @($spiral | Invoke-MlpSweep @{ HiddenSize = 8, 16; LearningRate = 0.2; Epochs = 15 } -Folds 3 -Seed 2)
    }

    It 'scores each trial by the mean of its fold scores, with their spread' {
        foreach ($r in $results) {
            @($r.FoldScores).Count | Should -Be 3
            $mean = ($r.FoldScores | Measure-Object -Average).Average
            $r.Score | Should -BeGreaterOrEqual ($mean - 1e-12)
            $r.Score | Should -BeLessOrEqual ($mean + 1e-12)
            $spread = [Math]::Sqrt((($r.FoldScores | ForEach-Object { ($_ - $mean) * ($_ - $mean) } | Measure-Object -Sum).Sum) / 3)
            [Math]::Abs($r.ScoreSpread - $spread) | Should -BeLessThan 1e-12
        }
    }

    It 'gives the best trial a network trained on all the data with its settings and seed' {
        $best = $results | Where-Object IsBest
        $best.Network | Should -Not -BeNullOrEmpty
        $alone = $spiral | New-Mlp -HiddenSize $best.HiddenSize -Seed $best.Seed | Invoke-Training -LearningRate 0.2 -Epochs 15 -Seed $best.Seed
        Get-ParameterHash $alone | Should -Be (Get-ParameterHash $best.Network)
        $best.Network.History.Count | Should -Be 15
    }

    It 'refuses fewer than 2 folds, or more folds than samples' {
        { $spiral | Invoke-MlpSweep @{ HiddenSize = 4 } -Folds 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFoldCount,MlpTools.Commands.InvokeMlpSweepCommand'
        $tiny = Import-Dataset -Name Spiral -ClassCount 2 -SamplesPerClass 2 -Seed 1
        { $tiny | Invoke-MlpSweep @{ HiddenSize = 4 } -Folds 5 -ErrorAction Stop } | Should -Throw -ErrorId 'SplitTooSmall,MlpTools.Commands.InvokeMlpSweepCommand'
    }
}

Describe 'Invoke-MlpSweep: failures are results' {
    It 'marks a diverging trial failed, with its error, and goes on with the others' {
        $r = @($digits | Invoke-MlpSweep @{ HiddenSize = 16; LearningRate = 1e6, 0.1; Epochs = 3 } -Seed 1 -ThrottleLimit 1) | Sort-Object Trial
        $r.Count | Should -Be 2
        $r[0].Status | Should -Be 'Failed'
        $r[0].StopReason | Should -Be 'TrainingDiverged'
        $r[0].Error | Should -Match 'diverged'
        $r[0].Score | Should -BeNullOrEmpty
        $r[0].IsBest | Should -BeFalse
        $r[1].Status | Should -Be 'Completed'
        $r[1].IsBest | Should -BeTrue
        $r[1].Network | Should -Not -BeNullOrEmpty
    }

    It 'writes results with no best when every trial fails' {
        $r = @($digits | Invoke-MlpSweep @{ HiddenSize = 16; LearningRate = 1e6, 1e7; Epochs = 2 } -Seed 1)
        $r.Status | Should -Be 'Failed', 'Failed'
        @($r | Where-Object IsBest).Count | Should -Be 0
    }
}

Describe 'Invoke-MlpSweep: mistakes' {
    It 'refuses <Case> with <Id>' -ForEach @(
        @{ Case = 'an unknown setting'; Space = @{ HiddenSize = 8; Foo = 1 }; Id = 'UnknownSweepSetting'; Text = "no setting 'Foo'" }
        @{ Case = 'Seed in the space'; Space = @{ HiddenSize = 8; Seed = 1, 2 }; Id = 'SeedNotSweepable'; Text = 'same sweep seed repeats' }
        @{ Case = 'a range in a grid'; Space = @{ HiddenSize = 8; LearningRate = @{ LogUniform = 1e-3, 1 } }; Id = 'RangeNeedsTrialCount'; Text = '-TrialCount' }
        @{ Case = 'a setting of another optimizer'; Space = @{ HiddenSize = 8; Optimizer = 'Sgd', 'Adam'; Momentum = 0.5 }; Id = 'ParameterNotApplicable'; Text = 'list of tables' }
        @{ Case = 'an unknown scale'; Space = @{ HiddenSize = 8; LearningRate = @{ Log = 1e-3, 1 } }; Id = 'InvalidSweepRange'; Text = 'LogUniform' }
        @{ Case = 'a range with bounds reversed'; Space = @{ HiddenSize = 8; LearningRate = @{ Uniform = 1, 0.1 } }; Id = 'InvalidSweepRange'; Text = 'low below high' }
        @{ Case = 'a log range from 0'; Space = @{ HiddenSize = 8; LearningRate = @{ LogUniform = 0, 1 } }; Id = 'InvalidSweepRange'; Text = 'above 0' }
        @{ Case = 'a fractional range for a whole-number setting'; Space = @{ HiddenSize = 8; BatchSize = @{ Uniform = 1, 40 } }; Id = 'InvalidSweepRange'; Text = 'Integer' }
        @{ Case = 'a value the setting does not take'; Space = @{ HiddenSize = 0, 8 }; Id = 'InvalidSweepValue'; Text = 'HiddenSize cannot be 0' }
        @{ Case = 'a learning rate below 0'; Space = @{ HiddenSize = 8; LearningRate = -1 }; Id = 'InvalidSweepValue'; Text = 'LearningRate' }
        @{ Case = 'an empty table'; Space = @{}; Id = 'InvalidSearchSpace'; Text = 'empty' }
        @{ Case = 'an empty list of values'; Space = @{ HiddenSize = @() }; Id = 'InvalidSearchSpace'; Text = 'empty list' }
        @{ Case = 'a number for a space'; Space = 5; Id = 'InvalidSearchSpace'; Text = 'table of settings' }
        @{ Case = 'no hidden size'; Space = @{ LearningRate = 0.1 }; Id = 'HiddenSizeMissing'; Text = 'HiddenSize' }
        @{ Case = 'a setting named twice'; Space = & { $t = [Collections.Generic.Dictionary[string, object]]::new(); $t['HiddenSize'] = 8; $t['hiddensize'] = 9; $t }; Id = 'DuplicateSweepSetting'; Text = 'twice' }
    ) {
        $err = { $spiral | Invoke-MlpSweep $Space -Seed 1 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,MlpTools.Commands.InvokeMlpSweepCommand"
        $err.Exception.Message | Should -BeLike "*$Text*"
    }

    It 'refuses a grid larger than it runs, before training anything' {
        $huge = [ordered]@{ HiddenSize = 1..100; LearningRate = 1..100 | ForEach-Object { $_ / 1000 }; BatchSize = 1..20 }
        { $spiral | Invoke-MlpSweep $huge -ErrorAction Stop } | Should -Throw -ErrorId 'SweepTooLarge,MlpTools.Commands.InvokeMlpSweepCommand'
    }

    It 'refuses -ValidationDataset with -ValidationFraction, and validation data of another shape' {
        { $digits | Invoke-MlpSweep @{ HiddenSize = 8 } -ValidationDataset $digits -ValidationFraction 0.2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ValidationConflict,MlpTools.Commands.InvokeMlpSweepCommand'
        { $digits | Invoke-MlpSweep @{ HiddenSize = 8 } -ValidationDataset $spiral -ErrorAction Stop } | Should -Throw
    }

    It 'scores on -ValidationDataset when given, training on all of -Dataset' {
        $train, $held = Split-Dataset -Dataset $spiral -TestFraction 0.3 -Stratify -Seed 1
        $r = @($train | Invoke-MlpSweep @{ HiddenSize = 8; Epochs = 3 } -ValidationDataset $held -Seed 1)
        (Test-Mlp -Network $r[0].Network -Dataset $held).Accuracy | Should -Be $r[0].Score
        $r[0].Network.Dataset.Count | Should -Be $train.Count
    }
}

Describe 'Invoke-MlpSweep: Ctrl+C' {
    It 'stops every trial at once and keeps the finished results in -OutVariable' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module)
                Import-Module $Module
                $data = Import-Dataset -Name Digits
                $data | Invoke-MlpSweep @{ HiddenSize = 4, 8, 200, 300; Epochs = 1, 1, 2000 } -Seed 1 -ThrottleLimit 2 -OutVariable global:finished
            }).AddArgument($env:MLPTOOLS_MODULE_PATH)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $waited = [Diagnostics.Stopwatch]::StartNew()
            while ($output.Count -lt 2 -and $waited.Elapsed.TotalSeconds -lt 120) { Start-Sleep -Milliseconds 50 }
            $output.Count | Should -BeGreaterOrEqual 2
            # The long trials (2000 epochs of H=300) are in their first epochs: Stop returns once they have stopped, not
            # minutes later when they would have finished.
            $stopping = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopping.Elapsed.TotalSeconds | Should -BeLessThan 60
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $finished = $ps.Runspace.SessionStateProxy.GetVariable('finished')
            @($finished).Count | Should -BeGreaterOrEqual 2
            @($finished).Count | Should -BeLessThan 12
            @($finished | Where-Object Status -ne 'Completed').Count | Should -Be 0
            @($finished | Where-Object IsBest).Count | Should -Be 1
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Trainings side by side in one process' {
    It 'gives in ForEach-Object -Parallel runspaces the bits each training gives alone, shapes and precisions alternating' {
        $cases = @(
            @{ Hidden = 200; Precision = 'Single'; Optimizer = 'Sgd' }
            @{ Hidden = 24; Precision = 'Double'; Optimizer = 'Adam' }
            @{ Hidden = 150; Precision = 'Double'; Optimizer = 'Sgd' }
            @{ Hidden = 48; Precision = 'Single'; Optimizer = 'RmsProp' }
        )
        $train = {
            param($Case, $Data)
            $net = $Data | New-Mlp -HiddenSize $Case.Hidden -Precision $Case.Precision -Seed $Case.Hidden |
                Invoke-Training -Optimizer $Case.Optimizer -Epochs 3 -BatchSize 200 -Seed 1
            '{0}|{1}' -f $Case.Hidden, (($net.W1.ToColumnMajorArray() + $net.W2.ToColumnMajorArray() | ForEach-Object { $_.ToString('R') }) -join ',').GetHashCode()
        }
        $alone = foreach ($case in $cases) { & $train $case $digits }
        $module = $env:MLPTOOLS_MODULE_PATH
        $text = $train.ToString()
        $together = $cases | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:module
            & ([scriptblock]::Create($using:text)) $_ $using:digits
        }
        ($together | Sort-Object) | Should -Be ($alone | Sort-Object)
    }
}
