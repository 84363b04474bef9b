BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
}

Describe 'Import-Dataset' {
    Context 'Digits' {
        BeforeAll {
            $digits = Import-Dataset -Name Digits
        }

        It 'is one Dataset object, not a stream of rows' {
            @(Import-Dataset -Name Digits).Count | Should -Be 1
            (Import-Dataset -Name Digits | Measure-Object).Count | Should -Be 1
            $digits | Should -BeOfType ([MlpTools.Core.Data.Dataset])
        }

        It 'holds 1,797 samples of 64 pixels and 10 classes' {
            $digits.Name | Should -Be 'Digits'
            $digits.Count | Should -Be 1797
            $digits.FeatureCount | Should -Be 64
            $digits.ClassCount | Should -Be 10
            $digits.FeatureNames[9] | Should -Be 'pixel_1_1'
        }

        It 'has pixels scaled to [0,1]' {
            $values = $digits.Features.ToColumnMajorArray()
            [Linq.Enumerable]::Min([double[]]$values) | Should -Be 0
            [Linq.Enumerable]::Max([double[]]$values) | Should -Be 1
        }

        It 'credits its authors in its metadata' {
            $digits.Attribution | Should -Match 'Alpaydin'
            $digits.Attribution | Should -Match 'CC BY 4\.0'
            $digits.Source | Should -Match 'Optical Recognition of Handwritten Digits'
        }

        It 'takes the name by position and in any case' {
            (Import-Dataset digits).Count | Should -Be 1797
        }
    }

    Context 'Spiral' {
        It 'has ClassCount arms of SamplesPerClass points in the plane' {
            $spiral = Import-Dataset -Name Spiral -ClassCount 4 -SamplesPerClass 25 -Seed 1
            $spiral.Count | Should -Be 100
            $spiral.FeatureCount | Should -Be 2
            $spiral.ClassCount | Should -Be 4
            $spiral.ClassCounts() | Should -Be @(25, 25, 25, 25)
        }

        It 'defaults to 3 arms of 100 points' {
            $spiral = Import-Dataset -Name Spiral -Seed 1
            $spiral.Count | Should -Be 300
            $spiral.ClassCount | Should -Be 3
        }

        It 'is the same for the same seed and differs for another' {
            $a = Import-Dataset -Name Spiral -Seed 7
            $b = Import-Dataset -Name Spiral -Seed 7
            $c = Import-Dataset -Name Spiral -Seed 8
            $a.Features.Equals($b.Features) | Should -BeTrue
            $a.Features.Equals($c.Features) | Should -BeFalse
        }
    }

    Context 'Bad parameters' {
        It 'rejects an unknown name, naming the built-ins' {
            $err = { Import-Dataset -Name Iris } | Should -Throw -ErrorId 'UnknownDataset,MlpTools.Commands.ImportDatasetCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.Exception.Message | Should -Match 'Digits, Spiral'
            $err.TargetObject | Should -Be 'Iris'
        }

        It 'rejects Spiral-only parameters with Digits' {
            $err = { Import-Dataset -Name Digits -SamplesPerClass 5 } |
                Should -Throw -ErrorId 'ParameterNotApplicable,MlpTools.Commands.ImportDatasetCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match '-SamplesPerClass'
        }

        It 'rejects -<Parameter> <Value>' -TestCases @(
            @{ Parameter = 'ClassCount'; Value = 0; Id = 'InvalidClassCount' }
            @{ Parameter = 'SamplesPerClass'; Value = -1; Id = 'InvalidSamplesPerClass' }
        ) {
            $splat = @{ Name = 'Spiral'; $Parameter = $Value }
            $err = { Import-Dataset @splat } | Should -Throw -ErrorId "$Id,MlpTools.Commands.ImportDatasetCommand" -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match "$Parameter must be a positive whole number, but it is $Value"
        }
    }

    Context 'Command' {
        It 'declares its output type' {
            (Get-Command Import-Dataset).OutputType.Type | Should -Contain ([MlpTools.Core.Data.Dataset])
        }

        It 'completes the built-in names' {
            $line = 'Import-Dataset -Name Sp'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'Spiral'
        }

        It 'shows Name, Count, FeatureCount, ClassCount and Source by default' {
            $text = Import-Dataset -Name Digits | Out-String -Width 200
            $text | Should -Match 'Name\s+Count\s+FeatureCount\s+ClassCount\s+Source'
            $text | Should -Match 'Digits\s+1797\s+64\s+10'
        }
    }
}
