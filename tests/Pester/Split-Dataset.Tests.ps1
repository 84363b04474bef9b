BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $digits = Import-Dataset -Name Digits
}

Describe 'Split-Dataset' {
    It 'emits the training part, then the test part' {
        $parts = @($digits | Split-Dataset -TestFraction 0.25 -Seed 1)
        $parts.Count | Should -Be 2
        $parts[0].Name | Should -Be 'Digits (train)'
        $parts[1].Name | Should -Be 'Digits (test)'
        $parts[1].Count | Should -Be 449        # round(1797 * 0.25)
        $parts[0].Count | Should -Be (1797 - 449)
    }

    It 'emits training, validation, then test with -ValidationFraction' {
        $train, $validation, $test = $digits | Split-Dataset -TestFraction 0.2 -ValidationFraction 0.1 -Seed 1
        $train.Name | Should -Be 'Digits (train)'
        $validation.Name | Should -Be 'Digits (validation)'
        $test.Name | Should -Be 'Digits (test)'
        $test.Count | Should -Be 359
        $validation.Count | Should -Be 180
        $train.Count | Should -Be (1797 - 359 - 180)
    }

    It 'takes the dataset by name as well as from the pipeline' {
        $a = Split-Dataset -Dataset $digits -TestFraction 0.25 -Seed 3
        $b = $digits | Split-Dataset 0.25 -Seed 3
        $a[1].Labels | Should -Be $b[1].Labels
    }

    It 'splits each class in the same proportions with -Stratify' {
        $null, $test = $digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
        $all = $digits.ClassCounts()
        $held = $test.ClassCounts()
        for ($k = 0; $k -lt 10; $k++) {
            [math]::Abs($held[$k] - 0.25 * $all[$k]) | Should -BeLessOrEqual 1
        }
    }

    It 'splits the same way for the same seed, and differently for another' {
        $a = ($digits | Split-Dataset -TestFraction 0.25 -Seed 5)[1]
        $b = ($digits | Split-Dataset -TestFraction 0.25 -Seed 5)[1]
        $c = ($digits | Split-Dataset -TestFraction 0.25 -Seed 6)[1]
        $a.Features.Equals($b.Features) | Should -BeTrue
        $a.Features.Equals($c.Features) | Should -BeFalse
    }

    It 'splits every piped dataset' {
        $spiral = Import-Dataset -Name Spiral -Seed 1
        @($digits, $spiral | Split-Dataset -TestFraction 0.5 -Seed 1).Name |
            Should -Be @('Digits (train)', 'Digits (test)', 'Spiral (train)', 'Spiral (test)')
    }

    It 'rejects <Case>' -TestCases @(
        @{ Case = 'a test fraction of 1.5'; Splat = @{ TestFraction = 1.5 }; Id = 'InvalidFraction' }
        @{ Case = 'a test fraction of 0'; Splat = @{ TestFraction = 0 }; Id = 'InvalidFraction' }
        @{ Case = 'fractions adding up to 1'; Splat = @{ TestFraction = 0.5; ValidationFraction = 0.5 }; Id = 'InvalidFraction' }
    ) {
        $err = { $digits | Split-Dataset @Splat } | Should -Throw -ErrorId "$Id,MlpTools.Commands.SplitDatasetCommand" -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'rejects a dataset too small to split' {
        $tiny = Import-Dataset -Name Spiral -ClassCount 1 -SamplesPerClass 2 -Seed 1
        $err = { $tiny | Split-Dataset -TestFraction 0.1 } | Should -Throw -ErrorId 'SplitTooSmall,MlpTools.Commands.SplitDatasetCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match '2 samples'
    }

    It 'writes numbers in its messages the same way in every culture' {
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = [cultureinfo]::GetCultureInfo('de-DE')
            if ((1.5).ToString() -ne '1,5') { Set-ItResult -Skipped -Because 'this system has no de-DE culture data' }
            $err = { $digits | Split-Dataset -TestFraction 1.5 } | Should -Throw -PassThru
            $err.Exception.Message | Should -Match 'it is 1\.5\.'
        }
        finally {
            [cultureinfo]::CurrentCulture = $saved
        }
    }

    It 'declares its output type and takes only datasets from the pipeline' {
        $cmd = Get-Command Split-Dataset
        $cmd.OutputType.Type | Should -Contain ([MlpTools.Core.Data.Dataset])
        @($cmd.ParameterSets[0].Parameters | Where-Object ValueFromPipeline).Name | Should -Be 'Dataset'
    }
}
