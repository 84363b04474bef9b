BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $digits = Import-Dataset -Name Digits
    $hand = @{
        W1 = @(@(0.1, -0.2, 0.3), @(0.4, 0.5, -0.6))
        b1 = @(0.0, 0.1, -0.1)
        W2 = @(@(0.2, -0.3), @(-0.1, 0.4), @(0.5, 0.1))
        b2 = @(0.0, 0.0)
    }
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.NewMlpCommand" }
}

Describe 'New-Mlp' {
    Context 'From a dataset' {
        It 'takes its input and class counts from a piped dataset, and keeps the dataset' {
            $net = $digits | New-Mlp -HiddenSize 16 -Seed 1
            $net.InputSize | Should -Be 64
            $net.HiddenSize | Should -Be 16
            $net.ClassCount | Should -Be 10
            $net.ParameterCount | Should -Be (64 * 16 + 16 + 16 * 10 + 10)
            [object]::ReferenceEquals($net.Dataset, $digits) | Should -BeTrue
            $net.FeatureNames[0] | Should -Be 'pixel_0_0'
        }

        It 'takes the dataset by name too' {
            $net = New-Mlp -Dataset $digits -HiddenSize 8
            $net.InputSize | Should -Be 64
            [object]::ReferenceEquals($net.Dataset, $digits) | Should -BeTrue
        }

        It 'makes one network per piped dataset' {
            $spiral = Import-Dataset -Name Spiral -Seed 1
            @($digits, $spiral | New-Mlp -HiddenSize 4).InputSize | Should -Be @(64, 2)
        }
    }

    Context 'From sizes' {
        It 'is D x H x C, single precision by default, with MathNet parameters of the right shapes' {
            $net = New-Mlp -InputSize 3 -HiddenSize 5 -ClassCount 2 -Seed 1
            $net.Precision | Should -Be 'Single'
            $net -is [MlpTools.Core.Model.Mlp[single]] | Should -BeTrue
            $net.W1 -is [MathNet.Numerics.LinearAlgebra.Matrix[single]] | Should -BeTrue
            $net.b1 -is [MathNet.Numerics.LinearAlgebra.Vector[single]] | Should -BeTrue
            $net.W1.RowCount, $net.W1.ColumnCount | Should -Be @(3, 5)
            $net.b1.Count | Should -Be 5
            $net.W2.RowCount, $net.W2.ColumnCount | Should -Be @(5, 2)
            $net.b2.Count | Should -Be 2
            $net.Dataset | Should -BeNullOrEmpty
        }

        It 'computes in double precision with -Precision Double' {
            $net = New-Mlp -InputSize 3 -HiddenSize 5 -ClassCount 2 -Precision Double
            $net -is [MlpTools.Core.Model.Mlp[double]] | Should -BeTrue
            $net.W2 -is [MathNet.Numerics.LinearAlgebra.Matrix[double]] | Should -BeTrue
        }

        It 'gives identical weights for the same seed, and different ones for another' {
            $a = $digits | New-Mlp -HiddenSize 16 -Seed 42
            $b = $digits | New-Mlp -HiddenSize 16 -Seed 42
            $c = $digits | New-Mlp -HiddenSize 16 -Seed 43
            $a.W1.Equals($b.W1) -and $a.W2.Equals($b.W2) | Should -BeTrue
            $a.W1.Equals($c.W1) | Should -BeFalse
        }

        It 'draws Glorot-uniform weights and zero biases by default' {
            $net = New-Mlp -InputSize 64 -HiddenSize 32 -ClassCount 10 -Precision Double -Seed 1
            $bound = [math]::Sqrt(6 / (64 + 32))
            $net.W1.Enumerate() | Where-Object { [math]::Abs($_) -gt $bound } | Should -BeNullOrEmpty
            $net.b1.Sum() | Should -Be 0
            $net.b2.Sum() | Should -Be 0
        }

        It 'draws from N(0, WeightScale^2) with -WeightScale' {
            $net = New-Mlp -InputSize 64 -HiddenSize 64 -ClassCount 10 -Precision Double -WeightScale 0.01 -Seed 1
            $rms = [math]::Sqrt($net.W1.FrobeniusNorm() * $net.W1.FrobeniusNorm() / 4096)
            $rms | Should -BeGreaterThan 0.0095
            $rms | Should -BeLessThan 0.0105
        }
    }

    Context 'From explicit parameters' {
        It 'holds exactly the values given as nested arrays, in double precision by default (W1 one row per input)' {
            $net = New-Mlp -Parameters $hand
            $net.Precision | Should -Be 'Double'
            $net.InputSize, $net.HiddenSize, $net.ClassCount | Should -Be @(2, 3, 2)
            $net.W1[1, 2] | Should -Be -0.6
            $net.W2[2, 0] | Should -Be 0.5
            $net.b1[1] | Should -Be 0.1
        }

        It 'takes MathNet matrices and vectors, mixed numeric types and PSObject-wrapped values' {
            $w1 = [MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.DenseOfArray([double[,]]::new(2, 3))
            $w1[0, 0] = 1.5
            $net = New-Mlp -Parameters @{
                W1 = $w1
                b1 = [MathNet.Numerics.LinearAlgebra.Vector[float]]::Build.Dense(3, [float]0.25)
                W2 = @((Write-Output @([int]1, [decimal]2)), @([long]3, [single]4), @([byte]5, 6.5))
                b2 = [psobject]@(1, 2)
            }
            $net.W1[0, 0] | Should -Be 1.5
            $net.b1[2] | Should -Be 0.25
            $net.W2[1, 0], $net.W2[1, 1], $net.W2[2, 1] | Should -Be @(3, 4, 6.5)
            $net.b2[1] | Should -Be 2
        }

        It 'copies the parameters of another network' {
            $source = New-Mlp -Parameters $hand
            $copy = New-Mlp -Parameters $source
            $copy.W1.Equals($source.W1) | Should -BeTrue
            $copy.W1[0, 0] = 9
            $source.W1[0, 0] | Should -Be 0.1
        }

        It 'computes in single precision with -Precision Single' {
            (New-Mlp -Parameters $hand -Precision Single).Precision | Should -Be 'Single'
        }

        It 'takes names from, and keeps, a piped dataset' {
            $spiral = Import-Dataset -Name Spiral -ClassCount 2 -Seed 1
            $net = $spiral | New-Mlp -Parameters $hand
            [object]::ReferenceEquals($net.Dataset, $spiral) | Should -BeTrue
            $net.FeatureNames | Should -Be @('x', 'y')
        }
    }

    Context 'Bad parameters' {
        It 'refuses rows piped from Import-Csv with one error that names them and points to ConvertTo-Dataset' {
            $csv = Join-Path $TestDrive 'rows.csv'
            Set-Content -LiteralPath $csv -Value (@('length,width,species') + (1..150 | ForEach-Object { "$_,2,x$($_ % 3)" }))
            $errors = @(Get-ErrorRecord { Import-Csv -LiteralPath $csv | New-Mlp -HiddenSize 4 })
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'InputNotADataset,MlpTools.Commands.NewMlpCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errors[0].Exception.Message | Should -Match 'properties: length, width, species'
            $errors[0].Exception.Message | Should -Match 'ConvertTo-Dataset -LabelProperty species \| New-Mlp'
            { New-Mlp -Dataset 'digits.csv' -HiddenSize 4 } | Should -Throw -ErrorId 'InputNotADataset,MlpTools.Commands.NewMlpCommand'
            { New-Mlp -Dataset $null -HiddenSize 4 } | Should -Throw -ErrorId 'ParameterIsNull,MlpTools.Commands.NewMlpCommand'
        }

        It 'rejects -HiddenSize <Value> with a dataset piped' -TestCases @(@{ Value = 0 }, @{ Value = -3 }) {
            $err = { $digits | New-Mlp -HiddenSize $Value } | Should -Throw -ErrorId (Get-Id InvalidHiddenSize) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Be "HiddenSize must be a positive whole number, but it is $Value."
        }

        It 'rejects a non-positive <Parameter>' -TestCases @(
            @{ Parameter = 'InputSize'; Splat = @{ InputSize = 0; HiddenSize = 4; ClassCount = 3 } }
            @{ Parameter = 'HiddenSize'; Splat = @{ InputSize = 2; HiddenSize = 0; ClassCount = 3 } }
            @{ Parameter = 'ClassCount'; Splat = @{ InputSize = 2; HiddenSize = 4; ClassCount = -1 } }
        ) {
            $err = { New-Mlp @Splat } | Should -Throw -ErrorId (Get-Id "Invalid$Parameter") -PassThru
            $err.Exception.Message | Should -Match "^$Parameter must be a positive whole number"
        }

        It 'rejects a negative -WeightScale' {
            { New-Mlp -InputSize 2 -HiddenSize 4 -ClassCount 3 -WeightScale -1 } | Should -Throw -ErrorId (Get-Id InvalidWeightScale)
        }

        It 'rejects parameters that <Case>' -TestCases @(
            @{ Case = 'lack b2'; Change = { param($p) $p.Remove('b2') }; Id = 'MissingParameter'; Message = 'b2 is missing' }
            @{ Case = 'have an unknown key'; Change = { param($p) $p.W3 = 1 }; Id = 'UnknownParameter'; Message = "key 'W3'" }
            @{ Case = 'do not fit together'; Change = { param($p) $p.b1 = @(1, 2) }; Id = 'ParameterShapeMismatch'; Message = 'b1 has 2' }
            @{ Case = 'have ragged rows'; Change = { param($p) $p.W2 = @(@(1, 2), @(3), @(4, 5)) }; Id = 'RaggedMatrix'; Message = 'row 1 has 1 entries, but row 0 has 2' }
            @{ Case = 'hold a non-number'; Change = { param($p) $p.W1 = @(@(1, 'x', 3), @(4, 5, 6)) }; Id = 'NonNumericEntry'; Message = "row 0, column 1 is 'x'" }
            @{ Case = 'hold NaN'; Change = { param($p) $p.b2 = @([double]::NaN, 0) }; Id = 'NonFiniteParameter'; Message = 'NaN' }
            @{ Case = 'give a matrix for a vector'; Change = { param($p) $p.b1 = @(@(1, 2), @(3, 4)) }; Id = 'InvalidVector'; Message = '2x2 matrix' }
        ) {
            $p = $hand.Clone()
            & $Change $p
            $err = { New-Mlp -Parameters $p } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -BeLike "*$Message*"
        }

        It 'rejects -Parameters that is not a table of parameters' {
            { New-Mlp -Parameters 42 } | Should -Throw -ErrorId (Get-Id InvalidParameterTable)
        }

        It 'rejects explicit parameters that do not fit the piped dataset' {
            $err = { $digits | New-Mlp -Parameters $hand } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match '64 features per sample, but the network takes 2 inputs'
        }

        It 'names the cmdlet and parameter to use, a hint added to the engine''s message by error id' {
            $err = { $digits | New-Mlp -Parameters $hand } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch) -PassThru
            $err.Exception.Message | Should -Match '\(InputSize 64\) or data with 2 features\. New-Mlp -InputSize 64 makes such a network\.$'
            $err.Exception.InnerException.Message | Should -Not -Match 'New-Mlp|-InputSize'

            $p = $hand.Clone()
            $p.b2 = @(1e300, 0)
            $err = { New-Mlp -Parameters $p -Precision Single } | Should -Throw -ErrorId (Get-Id NonFiniteParameter) -PassThru
            $err.Exception.Message | Should -Match '^b2\[0\] is 1E\+300, beyond what a Single-precision network holds .*; use Double precision, or smaller parameters\. New-Mlp -Precision Double makes a Double network\.$'
            New-Mlp -Parameters $p -Precision Double | Should -Not -BeNullOrEmpty
            # NaN is no matter of precision: no hint.
            $p.b2 = @([double]::NaN, 0)
            $err = { New-Mlp -Parameters $p -Precision Single } | Should -Throw -ErrorId (Get-Id NonFiniteParameter) -PassThru
            $err.Exception.Message | Should -Not -Match 'Precision'
        }
    }

    Context 'Command' {
        It 'declares both precisions as output types' {
            $types = (Get-Command New-Mlp).OutputType.Type
            $types | Should -Contain ([MlpTools.Core.Model.Mlp[single]])
            $types | Should -Contain ([MlpTools.Core.Model.Mlp[double]])
        }

        It 'has the parameter sets Dataset (default), Size and Parameters, each with at most one pipeline parameter' {
            $cmd = Get-Command New-Mlp
            $cmd.DefaultParameterSet | Should -Be 'Dataset'
            @($cmd.ParameterSets.Name | Sort-Object) | Should -Be @('Dataset', 'Parameters', 'Size')
            foreach ($set in $cmd.ParameterSets) {
                @($set.Parameters | Where-Object ValueFromPipeline).Count | Should -BeLessOrEqual 1
            }
        }
    }
}
