BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $digits = Import-Dataset -Name Digits
    $batch = $digits.Subset([int[]](0..7))
    $net = $digits | New-Mlp -HiddenSize 10 -Precision Double -Seed 1
    $lambda = 0.1
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.TestMlpGradientCommand" }
}

Describe 'Test-MlpGradient' {
    Context 'A correct gradient' {
        It 'passes every parameter of a Double network, checking every entry' {
            $results = @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -WarningVariable warnings)
            $results.Parameter | Should -Be @('W1', 'b1', 'W2', 'b2')
            $results.EntriesChecked | Should -Be @(640, 10, 100, 10)
            $results.Passed | Should -Be @($true, $true, $true, $true)
            $results | ForEach-Object { $_.MaxRelativeError | Should -BeLessThan 1e-7 }
            $warnings | Should -BeNullOrEmpty
        }

        It 'passes a Single network too (checked through an exact float64 copy)' {
            $single = $digits | New-Mlp -HiddenSize 10 -Seed 1
            @($single | Test-MlpGradient -Dataset $batch -Regularization $lambda).Passed | Should -Be @($true, $true, $true, $true)
        }

        It 'checks -SampleCount entries per parameter, chosen by -Seed' {
            $a = @($net | Test-MlpGradient -Dataset $batch -SampleCount 7 -Seed 3)
            $b = @($net | Test-MlpGradient -Dataset $batch -SampleCount 7 -Seed 3)
            $a.EntriesChecked | Should -Be @(7, 7, 7, 7)
            ($a | ForEach-Object { "$($_.WorstRow),$($_.WorstColumn)" }) | Should -Be ($b | ForEach-Object { "$($_.WorstRow),$($_.WorstColumn)" })
            @($net | Test-MlpGradient -Dataset $batch -SampleCount 50).EntriesChecked | Should -Be @(50, 10, 50, 10)
        }

        It 'accepts a Get-MlpGradient result as -Gradient' {
            $g = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda
            @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient $g).Passed | Should -Be @($true, $true, $true, $true)
        }

        It 'checks the loss Invoke-Training and Get-MlpGradient take by default (lambda 1e-4)' {
            $g = $net | Get-MlpGradient -Dataset $batch -Regularization 1e-4
            @($net | Test-MlpGradient -Dataset $batch -Gradient $g).Passed | Should -Be @($true, $true, $true, $true)
            $noL2 = $net | Get-MlpGradient -Dataset $batch -Regularization 0
            @($net | Test-MlpGradient -Dataset $batch -Gradient $noL2 -WarningAction SilentlyContinue).Passed | Should -Be @($false, $true, $false, $true)
        }

        It 'accepts a hand-computed dW2 = A^T dZ + (lambda/m) W2 and db2 as a flat array' {
            $t = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda -Trace
            $dW2 = $t.A.TransposeThisAndMultiply($t.dZ) + $net.W2 * ($lambda / $t.SampleCount)
            $db2 = @($t.dZ.ColumnSums().ToArray())
            @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient @{ W2 = $dW2; b2 = $db2 }).Passed |
                Should -Be @($true, $true, $true, $true)
            # The keys may also be the gradients' own names, as Get-MlpGradient names them.
            $byGradientName = @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient @{ dW2 = $dW2; db2 = $db2 })
            $byGradientName.Passed | Should -Be @($true, $true, $true, $true)
            @($byGradientName | Where-Object Source -EQ 'Given').Parameter | Should -Be @('W2', 'b2')
        }

        It 'uses -Step and -Threshold' {
            $fine = @($net | Test-MlpGradient -Dataset $batch)
            $coarse = @($net | Test-MlpGradient -Dataset $batch -Step 1e-2 -WarningAction SilentlyContinue)
            $coarse[2].MaxRelativeError | Should -BeGreaterThan (100 * $fine[2].MaxRelativeError)
            $strict = @($net | Test-MlpGradient -Dataset $batch -Threshold 1e-30 -WarningAction SilentlyContinue)
            $strict.Passed | Should -Not -Contain $true
            $strict[0].Threshold | Should -Be 1e-30
        }

        It 'takes <Form>' -TestCases @(
            @{ Form = 'the dataset piped'; Run = { $batch | Test-MlpGradient -Network $net -SampleCount 5 } }
            @{ Form = '-Features and -Labels'; Run = { Test-MlpGradient -Network $net -Features $batch.Features -Labels $batch.Labels -SampleCount 5 } }
            @{ Form = 'the network''s own Dataset'; Run = { $batch | New-Mlp -HiddenSize 5 -Precision Double -Seed 1 | Test-MlpGradient -SampleCount 5 } }
        ) {
            @(& $Run).Passed | Should -Be @($true, $true, $true, $true)
        }
    }

    Context 'A wrong gradient' {
        BeforeAll {
            $t = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda -Trace
            $forgotL2 = $t.A.TransposeThisAndMultiply($t.dZ)
        }

        It 'fails loudly: a warning naming the parameter, the worst entry and both values, and Passed = $false' {
            $results = @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient @{ W2 = $forgotL2 } -WarningVariable warnings -WarningAction SilentlyContinue)
            $results.Passed | Should -Be @($true, $true, $false, $true)
            $w2 = $results[2]
            $w2.MaxRelativeError | Should -BeGreaterThan 1e-3
            @($warnings).Count | Should -Be 1
            $warnings[0].Message | Should -Match "^W2 FAILED the gradient check: relative error \S+ at W2\[$($w2.WorstRow),$($w2.WorstColumn)\] exceeds the threshold 1E-07; given \S+, numerical \S+\.$"
            $warnings[0].Message | Should -Match ([regex]::Escape($w2.Analytic.ToString('G8', [cultureinfo]::InvariantCulture)))
        }

        It 'says which gradients it checked: the network''s own (Source Network) or those given with -Gradient (Source Given)' {
            @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -SampleCount 3).Source | Should -Be @('Network', 'Network', 'Network', 'Network')
            $results = @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient @{ W2 = $forgotL2 } -WarningAction SilentlyContinue)
            $results.Source | Should -Be @('Network', 'Network', 'Given', 'Network')
            $results[2].Analytic | Should -Be $forgotL2[$results[2].WorstRow, $results[2].WorstColumn]
            $g = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda
            @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient $g -SampleCount 3).Source | Should -Be @('Given', 'Given', 'Given', 'Given')
        }

        It 'names the network''s own gradient "analytic" in a warning' {
            $null = @($net | Test-MlpGradient -Dataset $batch -Threshold 1e-30 -SampleCount 3 -WarningVariable warnings -WarningAction SilentlyContinue)
            $warnings[0].Message | Should -Match '; analytic \S+, numerical \S+\.$'
        }

        It 'warns once per failing parameter' {
            $bad = @{ W2 = $forgotL2; b1 = @(1..10) }
            $results = @($net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient $bad -WarningVariable warnings -WarningAction SilentlyContinue)
            $results.Passed | Should -Be @($true, $false, $false, $true)
            @($warnings.Message | ForEach-Object { $_.Substring(0, 2) }) | Should -Be @('b1', 'W2')
            $warnings[0].Message | Should -Match '^b1 FAILED the gradient check: relative error \S+ at b1\[\d+\]'
        }
    }

    Context 'Bad parameters' {
        It 'rejects -<Parameter> <Value>' -TestCases @(
            @{ Parameter = 'SampleCount'; Value = 0 }
            @{ Parameter = 'Step'; Value = 0 }
            @{ Parameter = 'Threshold'; Value = -1 }
        ) {
            $splat = @{ $Parameter = $Value }
            $err = { $net | Test-MlpGradient -Dataset $batch @splat } | Should -Throw -ErrorId (Get-Id "Invalid$Parameter") -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'rejects a -Gradient <Case>' -TestCases @(
            @{ Case = 'with an unknown key'; Gradient = @{ W3 = 1 }; Id = 'UnknownParameter'; Message = "key 'W3'" }
            @{ Case = 'of the wrong shape'; Gradient = @{ W2 = @(@(1, 2), @(3, 4)) }; Id = 'GradientShapeMismatch'; Message = 'is 2x2, but W2 is 10x10' }
            @{ Case = 'that is not a table'; Gradient = 'W2'; Id = 'InvalidParameterTable'; Message = 'must be a hashtable' }
            @{ Case = 'with ragged rows'; Gradient = @{ W1 = @(@(1, 2), @(1)) }; Id = 'RaggedMatrix'; Message = '-Gradient W1: row 1' }
        ) {
            $err = { $net | Test-MlpGradient -Dataset $batch -Gradient $Gradient } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.Exception.Message | Should -BeLike "*$Message*"
        }

        It 'rejects a batch that does not fit the network' {
            $spiral = Import-Dataset -Name Spiral -Seed 1
            { $net | Test-MlpGradient -Dataset $spiral } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch)
            { $net | Test-MlpGradient -Features @(@(1, 2)) -Labels 0 } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch)
        }
    }

    Context 'Labels' {
        BeforeAll {
            $single = New-Mlp -Precision Single -Parameters @{ W1 = @(@(0.1), @(0.2)); b1 = @(0); W2 = @(, @(1, -1)); b2 = @(0, 0) }
        }

        It 'refuses -Labels that are not whole numbers, naming the value and its position' {
            $err = { $single | Test-MlpGradient -Features @(@(0.5, 1.0), @(-0.25, 0.5)) -Labels 0, 1.5 } | Should -Throw -ErrorId (Get-Id InvalidLabel) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -BeLike '-Labels: label 2 (counting from 1) is 1.5, which is not a whole number*'
        }
    }

    Context 'Precision edges' {
        BeforeAll {
            $tiny = @{ W1 = @(@(1e-38), @(1e-38)); b1 = @(0); W2 = @(, @(1, -1)); b2 = @(0, 0) }
            $single = New-Mlp -Parameters $tiny -Precision Single
            $double = New-Mlp -Parameters $tiny -Precision Double
        }

        It 'refuses a -Features value beyond float32 on a Single network, naming row, feature and value; a Double network takes it' {
            $features = @(@(0.5, 1.0), @(-0.25, 3.5e38))
            $err = { $single | Test-MlpGradient -Features $features -Labels 0, 1 } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'Features', feature 'x1': 3.5E+38 *"
            @($double | Test-MlpGradient -Features $features -Labels 0, 1).Count | Should -Be 4
        }

        It 'takes a -Features value float32 holds (<Value>) on a Single network' -TestCases @(
            @{ Value = 3.4028234e38 }
            @{ Value = 1e-45 }
            @{ Value = 4.9e-324 }
            @{ Value = -0.0 }
        ) {
            @($single | Test-MlpGradient -Features @(@(0.5, 1.0), @(-0.25, $Value)) -Labels 0, 1 -WarningAction SilentlyContinue).Count | Should -Be 4
        }
    }

    It 'declares its output type' {
        (Get-Command Test-MlpGradient).OutputType.Type | Should -Contain ([MlpTools.Core.Inspection.GradientCheckResult])
    }
}
