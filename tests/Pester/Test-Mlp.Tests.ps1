BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $train, $test = Import-Dataset -Name Spiral -Seed 1 | Split-Dataset -TestFraction 0.3 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 30 -Seed 1
    $expected = (Test-Mlp -Network $net -Dataset $test).Accuracy
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.TestMlpCommand" }
}

Describe 'Test-Mlp' {
    Context 'Pipeline and binding' {
        It 'tests a piped network on -Dataset' {
            ($net | Test-Mlp -Dataset $test).Accuracy | Should -Be $expected
        }

        It 'tests a piped network on its own Dataset when -Dataset is not given' {
            ($net | Test-Mlp).Count | Should -Be $train.Count
        }

        It 'tests piped datasets on -Network' {
            ($test | Test-Mlp -Network $net).Accuracy | Should -Be $expected
            @($train, $test | Test-Mlp -Network $net | ForEach-Object Count) | Should -Be @($train.Count, $test.Count)
        }

        It 'takes both by name or by position' {
            (Test-Mlp -Network $net -Dataset $test).Accuracy | Should -Be $expected
            (Test-Mlp $net $test).Accuracy | Should -Be $expected
        }

        It 'has one pipeline parameter per parameter set' {
            $cmd = Get-Command Test-Mlp
            foreach ($set in $cmd.ParameterSets) {
                @($set.Parameters | Where-Object ValueFromPipeline).Count | Should -Be 1
            }
        }
    }

    Context 'The evaluation' {
        BeforeAll {
            $e = Test-Mlp -Network $net -Dataset $test
        }

        It 'is an Evaluation with Accuracy, Loss, Count and ConfusionMatrix as numbers and objects' {
            $e | Should -BeOfType ([MlpTools.Core.Model.Evaluation])
            $e.Accuracy | Should -BeOfType ([double])
            $e.Loss | Should -BeOfType ([double])
            $e.Loss | Should -BeGreaterThan 0
            $e.Count | Should -Be $test.Count
            $e.ConfusionMatrix | Should -BeOfType ([MlpTools.Core.Model.ConfusionMatrix])
        }

        It 'counts every sample once in the confusion matrix, the diagonal being the correct ones' {
            $counts = $e.ConfusionMatrix.Counts
            $total = 0; $diagonal = 0
            for ($a = 0; $a -lt 3; $a++) {
                for ($p = 0; $p -lt 3; $p++) { $total += $counts[$a][$p]; if ($a -eq $p) { $diagonal += $counts[$a][$p] } }
                ($counts[$a] | Measure-Object -Sum).Sum | Should -Be $test.ClassCounts()[$a]
            }
            $total | Should -Be $test.Count
            $diagonal / $total | Should -Be $e.Accuracy
        }

        It 'shows the confusion matrix as a grid' {
            $saved = [cultureinfo]::CurrentCulture
            try {
                [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture
                $text = $e | Out-String
                $text | Should -Match 'Accuracy\s+: \d\.\d{4}'
                $text | Should -Match 'ConfusionMatrix : +\|\s+0\s+1\s+2'
            }
            finally { [cultureinfo]::CurrentCulture = $saved }
        }
    }

    Context 'Bad parameters' {
        It 'reports a piped network with no data' {
            $bare = New-Mlp -InputSize 2 -HiddenSize 4 -ClassCount 3
            $err = { $bare | Test-Mlp } | Should -Throw -ErrorId (Get-Id NoDataset) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'reports data whose feature count differs from the network''s' {
            $err = { Import-Dataset -Name Digits | Test-Mlp -Network $net } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -Match '64 features per sample, but the network takes 2 inputs'
        }

        It 'reports a label outside the network''s classes' {
            $four = Import-Dataset -Name Spiral -ClassCount 4 -SamplesPerClass 10 -Seed 1
            $err = { Test-Mlp -Network $net -Dataset $four } | Should -Throw -ErrorId (Get-Id LabelOutOfRange) -PassThru
            $err.Exception.Message | Should -Match 'label 3, but the network has only 3 classes'
        }
    }

    It 'declares its output type' {
        (Get-Command Test-Mlp).OutputType.Type | Should -Contain ([MlpTools.Core.Model.Evaluation])
    }
}
