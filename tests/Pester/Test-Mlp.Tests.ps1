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

    Context 'Precision edges' {
        BeforeAll {
            # A 2-1-2 network whose weights are tiny enough that inputs up to float32's limit give finite scores.
            function New-TinyNetwork([string] $Precision) {
                New-Mlp -Precision $Precision -Parameters @{ W1 = @(@(1e-38), @(1e-38)); b1 = @(0); W2 = @(, @(1, -1)); b2 = @(0, 0) }
            }
            $single = New-TinyNetwork Single
            $double = New-TinyNetwork Double
            # Three rows of features 'small' and 'big'; the second row's 'big' is the value under test.
            function Write-EdgeCsv([string] $Value) {
                $path = Join-Path $TestDrive 'edge.csv'
                Set-Content -LiteralPath $path -Value @('small,big,label', '0.5,1,0', "-0.25,$Value,1", '0.75,-1,0')
                $path
            }
            # An IDX file of unsigned bytes (0x08), float32 (0x0D) or float64 (0x0E) elements, big-endian.
            function Write-IdxFile([string] $Path, [byte] $Type, [int[]] $Shape, [double[]] $Values) {
                $bytes = [Collections.Generic.List[byte]]::new()
                $bytes.AddRange([byte[]](0, 0, $Type, $Shape.Count))
                foreach ($size in $Shape) { $b = [BitConverter]::GetBytes([int]$size); [array]::Reverse($b); $bytes.AddRange($b) }
                foreach ($v in $Values) {
                    if ($Type -eq 0x08) { $bytes.Add([byte]$v); continue }
                    [byte[]] $b = if ($Type -eq 0x0D) { [BitConverter]::GetBytes([float]$v) } else { [BitConverter]::GetBytes([double]$v) }
                    [array]::Reverse($b)
                    $bytes.AddRange($b)
                }
                [IO.File]::WriteAllBytes($Path, $bytes.ToArray())
            }
        }

        It 'refuses a CSV value beyond float32 (<Value>) on a Single network, naming row, column and value, and takes it on a Double one' -TestCases @(
            @{ Value = '3.5e38'; Shown = '3.5E+38' }
            @{ Value = '1e300'; Shown = '1E+300' }
            @{ Value = '-1.7976931348623157e308'; Shown = '-1.7976931348623157E+308' }
        ) {
            $data = Import-Dataset -Path (Write-EdgeCsv $Value)
            $err = { Test-Mlp -Network $single -Dataset $data } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'edge', feature 'big': $Shown *"
            $err.Exception.Message | Should -BeLike '*-Precision Double*'
            $err.TargetObject.Row | Should -Be 1
            $err.TargetObject.FeatureName | Should -Be 'big'
            (Test-Mlp -Network $double -Dataset $data).Loss | Should -BeGreaterOrEqual 0
        }

        It 'takes a CSV value float32 holds (<Value>) on a Single network' -TestCases @(
            @{ Value = '3.4028234e38' }
            @{ Value = '-3.4028234e38' }
            @{ Value = '1e-45' }
            @{ Value = '1e-40' }
            @{ Value = '4.9e-324' }
            @{ Value = '-0.0' }
        ) {
            $data = Import-Dataset -Path (Write-EdgeCsv $Value)
            $e = Test-Mlp -Network $single -Dataset $data
            [double]::IsFinite($e.Loss) | Should -BeTrue
            $e.Count | Should -Be 3
        }

        It 'refuses the same value given as objects to ConvertTo-Dataset, and takes it on a Double network' {
            $data = @(
                [pscustomobject]@{ small = 0.5; big = 1; label = 0 }
                [pscustomobject]@{ small = -0.25; big = 3.5e38; label = 1 }
                [pscustomobject]@{ small = 0.75; big = [decimal]'-1'; label = 0 }
            ) | ConvertTo-Dataset -LabelProperty label -Name objects
            $err = { $data | Test-Mlp -Network $single } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'objects', feature 'big': 3.5E+38 *"
            ($data | Test-Mlp -Network $double).Count | Should -Be 3
        }

        It 'refuses a float64 IDX value beyond float32 on a Single network; takes float32 IDX values at the limit' {
            $labels = Join-Path $TestDrive 'labels.idx'
            Write-IdxFile $labels 0x08 @(3) @(0, 1, 0)
            $wide = Join-Path $TestDrive 'wide.idx'
            Write-IdxFile $wide 0x0E @(3, 2) @(0.5, 1, -0.25, 3.5e38, 0.75, -1)
            $data = Import-Dataset -Path $wide -LabelPath $labels
            $err = { Test-Mlp -Network $single -Dataset $data } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'wide', feature 'x1': 3.5E+38 *"
            (Test-Mlp -Network $double -Dataset $data).Count | Should -Be 3

            $narrow = Join-Path $TestDrive 'narrow.idx'
            Write-IdxFile $narrow 0x0D @(3, 2) @(0.5, 1, 1e-45, ([float]::MaxValue), -0.0, ([float]::MinValue))
            [double]::IsFinite((Test-Mlp -Network $single -Dataset (Import-Dataset -Path $narrow -LabelPath $labels)).Loss) | Should -BeTrue
        }

        It 'checks the scaled value: a raw value float32 holds whose scaled value it does not is refused' {
            $scaled = New-TinyNetwork Single
            $scaled.Preprocessor = [MlpTools.Core.Data.Preprocessor]::new('Standardize', [double[]](0, 0), [double[]](1, 1e-10))
            $data = Import-Dataset -Path (Write-EdgeCsv '1e30')
            $err = { Test-Mlp -Network $scaled -Dataset $data } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'edge', feature 'big': 1E+30 becomes 1E+40 after the network's Standardize scaling*"
        }

        It 'reports scores that overflow on finite inputs as NetworkOverflow, naming the row and the input' {
            # 3.4e38 fits in float32, but weights of 1 and 2 make the scores 6.8e38, which does not.
            $loud = New-Mlp -Precision Single -Parameters @{ W1 = @(@(1), @(1)); b1 = @(0); W2 = @(, @(2, -2)); b2 = @(0, 0) }
            $data = Import-Dataset -Path (Write-EdgeCsv '3.4e38')
            $err = { Test-Mlp -Network $loud -Dataset $data } | Should -Throw -ErrorId (Get-Id NetworkOverflow) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "*row 2 (counting from 1) of 'edge'*'big'*-Scaling Standardize*-Precision Double*"
        }
    }

    It 'declares its output type' {
        (Get-Command Test-Mlp).OutputType.Type | Should -Contain ([MlpTools.Core.Model.Evaluation])
    }
}
