BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $savedCulture = [cultureinfo]::CurrentCulture
    [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture

    $train, $validation = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 12 -Seed 1 -ValidationDataset $validation
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ShowMlpHistoryCommand" }
    function New-Record([int] $Epoch, [double] $Loss, [double] $Accuracy = 0.5, $ValidationLoss = $null, $ValidationAccuracy = $null) {
        [MlpTools.Core.Training.EpochRecord]::new($Epoch, $Loss, $Accuracy, $ValidationLoss, $ValidationAccuracy, 0.05, 1, 1, 0.01)
    }
    # The plot rows of a chart: the lines between its title and its axis, without the labels and the axis.
    function Get-Plot([string[]] $Chart) {
        $axis = [array]::FindIndex($Chart, [Predicate[string]] { param($l) $l -match '^\s*[+└]' })
        $start = $Chart[$axis].IndexOfAny([char[]]'+└') + 1
        @($Chart[1..($axis - 1)] | ForEach-Object { $_.PadRight($Chart[$axis].Length).Substring($start) })
    }
}

AfterAll {
    [cultureinfo]::CurrentCulture = $savedCulture
}

Describe 'Show-MlpHistory' {
    Context 'Input and output' {
        It 'draws a piped network''s loss and accuracy as lines of text, 79 columns at most' {
            $lines = @($net | Show-MlpHistory)
            $lines | Should -BeOfType ([string])
            @($lines | Where-Object { $_ -match '^(Loss|Accuracy) per epoch \(epochs 1 to 12\)$' }).Count | Should -Be 2
            $lines | Where-Object { $_.Length -gt 79 } | Should -BeNullOrEmpty
            ($lines -join "`n") | Should -Match ('▲ best epoch {0}: loss {1:0.0000}, validation {2:0.0000}' -f $net.BestEpoch, $net.BestRecord.Loss, $net.BestRecord.ValidationLoss)
            ($lines -join "`n") | Should -Match '⣀ training   ▄ validation'
        }

        It 'draws the network given by name, one chart per -Metric, in their order' {
            $lines = @(Show-MlpHistory -Network $net -Metric Accuracy)
            $lines[0] | Should -Be 'Accuracy per epoch (epochs 1 to 12)'
            @($lines | Where-Object { $_ -like '* per epoch *' }).Count | Should -Be 1
            (@(Show-MlpHistory $net Accuracy, Loss) | Where-Object { $_ -like '* per epoch *' }) | Should -Be @('Accuracy per epoch (epochs 1 to 12)', 'Loss per epoch (epochs 1 to 12)')
        }

        It 'draws piped epoch records as one history, the same chart as the network''s' {
            $fromRecords = @($net.History | Show-MlpHistory -BestEpoch $net.BestEpoch)
            $fromRecords | Should -Be @($net | Show-MlpHistory)
            (Show-MlpHistory -History $net.History -BestEpoch $net.BestEpoch) | Should -Be $fromRecords
        }

        It 'draws the records Invoke-Training -StreamHistory emits, marking the lowest validation loss' {
            $records = @($train | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 12 -Seed 1 -ValidationDataset $validation -StreamHistory)
            $lowest = ($records | Sort-Object ValidationLoss | Select-Object -First 1).Epoch
            $text = ($records | Show-MlpHistory -Metric Loss) -join "`n"
            $text | Should -Match "▲ best epoch $lowest`:"
        }

        It 'sizes the chart with -Width and -Height' {
            $lines = @($net | Show-MlpHistory -Metric Loss -Width 50 -Height 5)
            $lines | Where-Object { $_.Length -gt 50 } | Should -BeNullOrEmpty
            (Get-Plot $lines).Count | Should -Be 5
            @($net | Show-MlpHistory -Metric Loss -Width 120) | Where-Object { $_.Length -gt 79 } | Should -Not -BeNullOrEmpty
        }

        It 'draws the loss on a log scale with -LogScale, the accuracy still linear' {
            $titles = @($net | Show-MlpHistory -LogScale) | Where-Object { $_ -like '* per epoch*' }
            $titles | Should -Be @('Loss per epoch, log scale (epochs 1 to 12)', 'Accuracy per epoch (epochs 1 to 12)')
            # 1000, 100, 10, 1: one row down per epoch on 4 rows.
            $records = 1..4 | ForEach-Object { New-Record $_ ([math]::Pow(10, 4 - $_)) }
            $plot = Get-Plot @($records | Show-MlpHistory -Metric Loss -LogScale -Ascii -Width 49 -Height 4)
            $plot[0][0], $plot[1][12], $plot[2][25], $plot[3][37] | Should -Be @('*', '*', '*', '*')
        }

        It 'draws in ASCII with -Ascii' {
            $text = ($net | Show-MlpHistory -Ascii) -join "`n"
            $text | Should -Match '\* training   o validation   \^ best epoch'
            $text.ToCharArray() | Where-Object { [int]$_ -gt 127 } | Should -BeNullOrEmpty
        }

        It 'draws in ASCII when the console''s output encoding is not a Unicode one' {
            $result = Invoke-InFreshPwsh -ArgumentList $net.History {
                param($history)
                $records = $history | ForEach-Object { [MlpTools.Core.Training.EpochRecord]::new($_.Epoch, $_.Loss, $_.Accuracy, $_.ValidationLoss, $_.ValidationAccuracy, $_.LearningRate, 1, 1, 0) }
                [Console]::OutputEncoding = [Text.Encoding]::ASCII
                $ascii = ($records | Show-MlpHistory) -join "`n"
                [Console]::OutputEncoding = [Text.UTF8Encoding]::new($false)
                $unicode = ($records | Show-MlpHistory) -join "`n"
                [pscustomobject]@{ Ascii = $ascii; Unicode = $unicode }
            }
            $result.ExitCode | Should -Be 0 -Because $result.StdErr
            $result.Output.Ascii.ToCharArray() | Where-Object { [int]$_ -gt 127 } | Should -BeNullOrEmpty
            $result.Output.Ascii | Should -Match '\* training'
            $result.Output.Unicode | Should -Match '⣀ training'
        }
    }

    Context 'The marks sit where the data puts them' {
        It 'puts a falling loss from the top-left to the bottom-right, and a V''s low point at the bottom, under the best mark' {
            # 21 epochs over 40 columns (49 - "11.0000" - " +"): epoch e falls in column round((e - 1) / 20 * 39).
            $records = 1..21 | ForEach-Object { New-Record $_ ([math]::Abs($_ - 11) + 1) }
            $chart = @($records | Show-MlpHistory -Metric Loss -Ascii -Width 49 -Height 4)
            $chart[1] | Should -BeLike '11.0000 +*'
            $chart[4] | Should -BeLike ' 1.0000 +*'
            $plot = Get-Plot $chart
            $plot[0][0] | Should -Be '*'
            $plot[0][39] | Should -Be '*'
            $plot[3][20] | Should -Be '*'
            $plot[3][0] | Should -Be ' '
            $chart[5].IndexOf('^') | Should -Be (9 + 20)
            $chart[6] | Should -Match '^\s{9}1\s+11\s+21$'
            $chart[6].IndexOf('11') | Should -Be (9 + 20)
        }

        It 'draws the validation series apart, under the training one where they meet' {
            $records = 1..2 | ForEach-Object { New-Record $_ (2 - $_) -ValidationLoss 1.0 -ValidationAccuracy 0.5 }
            $chart = @($records | Show-MlpHistory -Metric Loss -Ascii -Width 30 -Height 2)
            $chart[1..2] | Should -Be @('1.0000 +************oooooooooo', '0.0000 +           ***********')
        }

        It 'marks the best epoch given with -BestEpoch' {
            $records = 1..21 | ForEach-Object { New-Record $_ (1.0 / $_) }
            # 40 columns again, after a 6-character label ("1.0000") and " +".
            $chart = @($records | Show-MlpHistory -Metric Loss -Ascii -Width 48 -BestEpoch 11)
            $chart[-3].IndexOf('^') | Should -Be (8 + 20)
            $chart[-1] | Should -Match '\^ best epoch 11: loss 0\.0909'
        }
    }

    Context 'Awkward histories' {
        It 'draws a single epoch' {
            $chart = @(New-Record 1 2.3 0.1 | Show-MlpHistory -Ascii)
            $chart[0] | Should -Be 'Loss per epoch (epoch 1)'
            $chart | Should -Contain '2.3000 +*'
        }

        It 'leaves NaN and infinite losses out of a diverged run and says how many' {
            $losses = 2.0, 1.5, 1.0, [double]::PositiveInfinity, [double]::NaN, [double]::NaN
            $records = for ($i = 0; $i -lt $losses.Count; $i++) { New-Record ($i + 1) $losses[$i] }
            $text = ($records | Show-MlpHistory -Metric Loss) -join "`n"
            $text | Should -Match '3 values NaN or infinite, not drawn'
            $text | Should -Match '(?m)^2\.0000 ┤'
            $text | Should -Match '(?m)^1\.0000 ┤'
            $nothing = (New-Record 1 ([double]::NaN) | Show-MlpHistory -Metric Loss) -join "`n"
            $nothing | Should -Match 'Nothing to draw: every loss is NaN or infinite'
        }

        It 'draws thousands of epochs a column at a time, within the width' {
            $records = 1..3000 | ForEach-Object { New-Record $_ (1.0 / $_) }
            $chart = @($records | Show-MlpHistory -Metric Loss)
            $chart[0] | Should -Match '^Loss per epoch \(epochs 1 to 3,000, about \d+ to a column\)$'
            $chart | Where-Object { $_.Length -gt 79 } | Should -BeNullOrEmpty
            $chart[-2] | Should -Match '3,000$'
        }
    }

    Context 'Mistakes' {
        It 'writes an error for a network never trained, and still draws the others' {
            $new = New-Mlp -InputSize 64 -HiddenSize 4 -ClassCount 10
            $lines = @($new, $net | Show-MlpHistory -Metric Loss -ErrorVariable problems -ErrorAction SilentlyContinue)
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id HistoryEmpty)
            $problems[0].Exception.Message | Should -Match 'never trained.*Invoke-Training'
            $lines[0] | Should -Be 'Loss per epoch (epochs 1 to 12)'
        }

        It 'refuses sizes too small to draw, a metric it does not know, and what is not a network or records' {
            { $net | Show-MlpHistory -Width 20 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MlpTools.Commands.ShowMlpHistoryCommand'
            { $net | Show-MlpHistory -Height 1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MlpTools.Commands.ShowMlpHistoryCommand'
            { $net | Show-MlpHistory -Metric Lost } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,MlpTools.Commands.ShowMlpHistoryCommand'
            { $train | Show-MlpHistory } | Should -Throw -ErrorId (Get-Id InputNotANetwork)
            { Show-MlpHistory -History @() } | Should -Throw
        }
    }
}
