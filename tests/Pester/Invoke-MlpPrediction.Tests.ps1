BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.InvokeMlpPredictionCommand" }

    $train, $test = Import-Dataset -Name Spiral -Seed 1 | Split-Dataset -TestFraction 0.3 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 30 -Seed 1
    $double = $train | New-Mlp -HiddenSize 32 -Seed 1 -Precision Double | Invoke-Training -Epochs 30 -Seed 1

    # The test part as Import-Csv would give it: strings, properties x and y, the class in 'arm', an extra 'id' first.
    $rows = for ($i = 0; $i -lt $test.Count; $i++) {
        [pscustomobject]@{
            id  = "p$i"
            x   = $test.Features[$i, 0].ToString('R', [cultureinfo]::InvariantCulture)
            y   = $test.Features[$i, 1].ToString('R', [cultureinfo]::InvariantCulture)
            arm = [string]$test.Labels[$i]
        }
    }
    $csv = Join-Path $TestDrive 'points.csv'
    $rows | Export-Csv -LiteralPath $csv

    # Every probability of the predictions, sample after sample, in one flat array.
    function Get-Probabilities($Predictions) {
        $all = [Collections.Generic.List[double]]::new()
        foreach ($p in $Predictions) { $all.AddRange([double[]]@($p.Probabilities)) }
        , $all.ToArray()
    }
    # Exact (bit-for-bit) equality of two flat arrays of doubles, fast for long ones.
    function Should-BeSameNumbers([double[]] $Actual, [double[]] $Expected) {
        $Actual.Length | Should -Be $Expected.Length
        [Linq.Enumerable]::SequenceEqual($Actual, $Expected) | Should -BeTrue -Because 'every probability should be exactly equal'
    }
}

Describe 'Invoke-MlpPrediction' {
    Context 'A dataset' {
        BeforeAll {
            $predictions = @(Invoke-MlpPrediction -Network $net -Dataset $test)
        }

        It 'gives one prediction per sample, in order, with the class name, its label and probability' {
            $predictions.Count | Should -Be $test.Count
            $predictions[0] | Should -BeOfType ([MlpTools.Core.Model.Prediction])
            $predictions.Index | Should -Be (0..($test.Count - 1))
            foreach ($p in $predictions[0..9]) {
                $p.Predicted | Should -Be $net.ClassNames[$p.PredictedLabel]
                $p.Probability | Should -Be $p.Probabilities[$p.PredictedLabel]
                $p.Probability | Should -Be ([Linq.Enumerable]::Max([double[]]@($p.Probabilities)))
                [math]::Abs(([Linq.Enumerable]::Sum([double[]]@($p.Probabilities))) - 1) | Should -BeLessThan 1e-6
                $p.ProbabilityOf($p.Predicted) | Should -Be $p.Probability
            }
        }

        It 'knows the actual class of every sample and whether the prediction was right, as Test-Mlp counts it' {
            $predictions.Actual | Should -Be @($test.Labels | ForEach-Object { [string]$_ })
            $predictions.ActualLabel | Should -Be $test.Labels
            $right = @($predictions | Where-Object Correct).Count
            $right / $test.Count | Should -Be (Test-Mlp -Network $net -Dataset $test).Accuracy
        }

        It 'gives probabilities exactly equal to Get-MlpGradient -Trace''s P on the same data (<Precision>)' -TestCases @(
            @{ Precision = 'Single' }, @{ Precision = 'Double' }
        ) {
            $network = if ($Precision -eq 'Single') { $net } else { $double }
            $p = @(Invoke-MlpPrediction -Network $network -Dataset $test)
            $trace = $network | Get-MlpGradient -Dataset $test -Trace
            $fromTrace = for ($i = 0; $i -lt $test.Count; $i++) { for ($j = 0; $j -lt 3; $j++) { [double]$trace.P[$i, $j] } }
            Should-BeSameNumbers (Get-Probabilities $p) $fromTrace
        }

        It 'applies the network''s preprocessing itself, as the trace does' {
            $scaled = $double.Clone()
            $scaled.Preprocessor = [MlpTools.Core.Data.Preprocessor]::Fit($train, 'Standardize')
            $p = @(Invoke-MlpPrediction -Network $scaled -Dataset $test)
            $trace = $scaled | Get-MlpGradient -Dataset $test -Trace
            $p[5].Probabilities | Should -Be @($trace.P.Row(5).ToArray())
            $p[5].Probabilities | Should -Not -Be @($predictions[5].Probabilities)
        }

        It 'takes datasets from the pipeline, and -Dataset by position' {
            $piped = @($test | Invoke-MlpPrediction -Network $net)
            Should-BeSameNumbers (Get-Probabilities $piped) (Get-Probabilities $predictions)
            @(Invoke-MlpPrediction $net $test).Count | Should -Be $test.Count
        }

        It 'matches the actual class by name when the data''s classes differ from the network''s, with a warning' {
            $two = $test.Subset([int[]](0..5))
            # Classes '2' and 'x' (not all whole numbers, so named by their text): '2' is class 0 here, class 2 in the network.
            $renamed = [pscustomobject]@{ x = 0.1; y = 0.2; c = '2' }, [pscustomobject]@{ x = 0.3; y = 0.4; c = 'x' } |
                ConvertTo-Dataset -LabelProperty c
            $renamed.ClassNames | Should -Be @('2', 'x')
            $p = @(Invoke-MlpPrediction -Network $net -Dataset $renamed -WarningVariable warned -WarningAction SilentlyContinue)
            $warned | Should -Match 'differ from the network'
            $p[0].Actual | Should -Be '2'
            $p[0].ActualLabel | Should -Be 2
            $p[0].Correct | Should -Be ($p[0].PredictedLabel -eq 2)
            $p[1].ActualLabel | Should -BeNullOrEmpty
            $p[1].Correct | Should -BeFalse
            @(Invoke-MlpPrediction -Network $net -Dataset $two -WarningVariable quiet).Count | Should -Be 6
            $quiet | Should -BeNullOrEmpty
        }

        It 'refuses data with another number of features' {
            $err = { Invoke-MlpPrediction -Network $net -Dataset (Import-Dataset -Name Digits) } |
                Should -Throw -ErrorId (Get-Id FeatureCountMismatch) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
        }
    }

    Context 'Objects from the pipeline' {
        It 'matches Import-Csv rows to the network''s features by name and predicts exactly as for the dataset' {
            $net.FeatureNames | Should -Be @('x', 'y')
            $fromCsv = @(Import-Csv -LiteralPath $csv | Invoke-MlpPrediction -Network $net)
            $fromCsv.Count | Should -Be $test.Count
            $fromCsv.Index | Should -Be (0..($test.Count - 1))
            Should-BeSameNumbers (Get-Probabilities $fromCsv) (Get-Probabilities (Invoke-MlpPrediction -Network $net -Dataset $test))
            $fromCsv[0].Actual | Should -BeNullOrEmpty
            $fromCsv[0].Correct | Should -BeNullOrEmpty
            $fromCsv[3].InputObject.id | Should -Be 'p3'
        }

        It 'fills Actual and Correct from -LabelProperty' {
            $p = @(Import-Csv -LiteralPath $csv | Invoke-MlpPrediction -Network $net -LabelProperty arm)
            $p.ActualLabel | Should -Be $test.Labels
            @($p | Where-Object Correct).Count / $p.Count | Should -Be (Test-Mlp -Network $net -Dataset $test).Accuracy
        }

        It 'ignores extra properties and property order and case; takes numbers, hashtables and wrapped values' {
            $a = [pscustomobject]@{ note = 'n'; Y = 0.5; X = -0.25 }
            $b = @{ y = 0.5; x = -0.25 }
            $c = [pscustomobject]@{ x = [psobject]-0.25; y = '0.5' }
            $p = @($a, $b, $c | Invoke-MlpPrediction -Network $net)
            $p.Count | Should -Be 3
            $p[1].Probabilities | Should -Be @($p[0].Probabilities)
            $p[2].Probabilities | Should -Be @($p[0].Probabilities)
        }

        It 'predicts more objects than one batch holds, in order, the same as one dataset' {
            $many = 0..2499 | ForEach-Object { [pscustomobject]@{ x = ($_ % 50) / 25 - 1; y = [math]::Floor($_ / 50) / 25 - 1 } }
            $p = @($many | Invoke-MlpPrediction -Network $net)
            $p.Count | Should -Be 2500
            $p[-1].Index | Should -Be 2499
            $asData = $many | ForEach-Object { [pscustomobject]@{ x = $_.x; y = $_.y; c = 0 } } | ConvertTo-Dataset -LabelProperty c
            Should-BeSameNumbers (Get-Probabilities $p) (Get-Probabilities (Invoke-MlpPrediction -Network $net -Dataset $asData -WarningAction SilentlyContinue))
        }

        It 'reports an object without a feature as a non-terminating error naming it, and predicts the others' {
            $objects = @(
                [pscustomobject]@{ x = 0.1; y = 0.2 }
                [pscustomobject]@{ x = 0.3; z = 0.4 }
                [pscustomobject]@{ x = 0.5; y = 'oops' }
                [pscustomobject]@{ x = 0.7; y = 0.8 }
            )
            $p = @($objects | Invoke-MlpPrediction -Network $net -ErrorVariable problems -ErrorAction SilentlyContinue)
            $p.Index | Should -Be @(0, 3)
            $problems.Count | Should -Be 2
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id ObjectFeaturePropertyNotFound)
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $problems[0].Exception.Message | Should -Match "^Object 2 has no property 'y', which the network needs as a feature\. Its properties are: 'x', 'z'"
            $problems[0].TargetObject | Should -Be $objects[1]
            $problems[1].FullyQualifiedErrorId | Should -Be (Get-Id ObjectInvalidNumber)
            $problems[1].Exception.Message | Should -Match "Object 3, property 'y': 'oops' is not a number"
        }

        It 'reports an object without the -LabelProperty' {
            $null = [pscustomobject]@{ x = 0.1; y = 0.2 } | Invoke-MlpPrediction -Network $net -LabelProperty arm -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id ObjectLabelPropertyNotFound)
            $problems[0].Exception.Message | Should -Match "'arm'"
        }
    }

    Context 'The label, known by name' {
        It 'fills Actual from Import-Csv objects by the label column the network was trained on, without -LabelProperty' {
            $csv = Join-Path $TestDrive 'flowers.csv'
            $lines = @('length,width,species') + (0..59 | ForEach-Object { '{0},{1},{2}' -f (1 + 3 * ($_ % 3) + ($_ % 5) / 10), (0.5 + ($_ % 4) / 10), ('setosa', 'versicolor', 'virginica')[$_ % 3] })
            Set-Content -LiteralPath $csv -Value $lines
            $flowers = Import-Dataset -Path $csv
            $flowers.LabelName | Should -Be 'species'
            $net = $flowers | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 30 -Seed 1
            $net.LabelName | Should -Be 'species'
            $p = @(Import-Csv -LiteralPath $csv | Invoke-MlpPrediction -Network $net)
            $p.Count | Should -Be 60
            $p.Actual | Should -Be (Import-Csv -LiteralPath $csv).species
            @($p | Where-Object { $null -eq $_.Correct }).Count | Should -Be 0
            # The name travels in the model file, and -LabelProperty still names another column.
            $file = Join-Path $TestDrive 'flowers.safetensors'
            Export-Mlp -Network $net -Path $file
            $loaded = Import-Mlp -Path $file
            $loaded.LabelName | Should -Be 'species'
            (Import-Csv -LiteralPath $csv | Select-Object -First 1 | Invoke-MlpPrediction -Network $loaded).Actual | Should -Be 'setosa'
            (Import-Csv -LiteralPath $csv | Select-Object -First 1 | Invoke-MlpPrediction -Network $loaded -LabelProperty length).Actual | Should -Be '1'
            # A network from objects knows the -LabelProperty it was given; one from a matrix knows no name.
            $fromObjects = Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty species | New-Mlp -HiddenSize 4 -Seed 1
            $fromObjects.LabelName | Should -Be 'species'
            (New-Mlp -InputSize 2 -HiddenSize 3 -ClassCount 3 -Seed 1).LabelName | Should -BeNullOrEmpty
        }
    }

    Context 'Precision edges' {
        BeforeAll {
            $tiny = @{ W1 = @(@(1e-38), @(1e-38)); b1 = @(0); W2 = @(, @(1, -1)); b2 = @(0, 0) }
            $single = New-Mlp -Parameters $tiny -Precision Single
            $double = New-Mlp -Parameters $tiny -Precision Double
        }

        It 'refuses a dataset value beyond float32 on a Single network, naming row, feature and value; a Double network takes it' {
            $data = @(
                [pscustomobject]@{ x0 = 0.5; x1 = 1; c = 0 }
                [pscustomobject]@{ x0 = -0.25; x1 = 3.5e38; c = 1 }
            ) | ConvertTo-Dataset -LabelProperty c -Name edge
            $err = { Invoke-MlpPrediction -Network $single -Dataset $data } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'edge', feature 'x1': 3.5E+38 *"
            $p = @(Invoke-MlpPrediction -Network $double -Dataset $data)
            $p.Count | Should -Be 2
            [double]::IsNaN($p[1].Probability) | Should -BeFalse
        }

        It 'reports a piped object with a value beyond float32 as a non-terminating error naming it, and predicts the others' {
            $objects = @(
                [pscustomobject]@{ x0 = 0.1; x1 = 0.2 }
                [pscustomobject]@{ x0 = 0.3; x1 = '3.5e38' }
                [pscustomobject]@{ x0 = 0.5; x1 = 3.4028234e38 }
                [pscustomobject]@{ x0 = 1e300; x1 = 0.8 }
                [pscustomobject]@{ x0 = -0.0; x1 = 4.9e-324 }
            )
            $p = @($objects | Invoke-MlpPrediction -Network $single -ErrorVariable problems -ErrorAction SilentlyContinue)
            $p.Index | Should -Be @(0, 2, 4)
            @($p | Where-Object { [double]::IsNaN($_.Probability) }).Count | Should -Be 0
            $problems.Count | Should -Be 2
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id FeatureValueOutOfRange)
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $problems[0].Exception.Message | Should -BeLike "Object 2, property 'x1': 3.5E+38 *-Precision Double*"
            $problems[0].TargetObject | Should -Be $objects[1]
            $problems[1].Exception.Message | Should -BeLike "Object 4, property 'x0': 1E+300 *"
            @($objects | Invoke-MlpPrediction -Network $double).Index | Should -Be @(0, 1, 2, 3, 4)
        }
    }

    Context 'A matrix of features, as Get-MlpGradient takes them' {
        BeforeAll {
            $expected = @(Invoke-MlpPrediction -Network $net -Dataset $test)
            $first = $test.Subset([int[]](0..2))
            $firstRows = , @(0..2 | ForEach-Object { , @($first.Features[$_, 0], $first.Features[$_, 1]) })
        }

        It 'predicts -Features given as <Form> exactly as the same samples of a dataset' -TestCases @(
            @{ Form = 'a MathNet matrix'; Make = { $test.Features } ; Count = 0 }
            @{ Form = 'nested arrays'; Make = { , @(0..2 | ForEach-Object { , @($test.Features[$_, 0], $test.Features[$_, 1]) }) }; Count = 3 }
            @{ Form = 'a two-dimensional array'; Make = { , $test.Features.SubMatrix(0, 3, 0, 2).ToArray() }; Count = 3 }
        ) {
            $features = & $Make
            $n = if ($Count) { $Count } else { $test.Count }
            $predictions = @(Invoke-MlpPrediction -Network $net -Features $features)
            $predictions.Count | Should -Be $n
            $predictions.Index | Should -Be (0..($n - 1))
            Should-BeSameNumbers (Get-Probabilities $predictions) (Get-Probabilities $expected[0..($n - 1)])
            $predictions.Predicted | Should -Be $expected[0..($n - 1)].Predicted
            @($predictions | Where-Object { $null -ne $_.Actual -or $null -ne $_.Correct }).Count | Should -Be 0   # no -Labels
        }

        It 'fills Actual and Correct from -Labels, class numbers 0..C-1 as Get-MlpGradient takes them' {
            $predictions = @(Invoke-MlpPrediction -Network $net -Features $test.Features -Labels $test.Labels)
            $predictions.Actual | Should -Be $expected.Actual
            $predictions.Correct | Should -Be $expected.Correct
            $named = @([pscustomobject]@{ x = 0.1; y = 0.2; k = 'left' }, [pscustomobject]@{ x = 0.3; y = 0.1; k = 'right' }) |
                ConvertTo-Dataset -LabelProperty k | New-Mlp -HiddenSize 2 -Seed 1
            (Invoke-MlpPrediction -Network $named -Features @(0.1, 0.2) -Labels 1).Actual | Should -Be $named.ClassNames[1]
            $named.ClassNames[1] | Should -BeIn 'left', 'right'
        }

        It 'takes the network piped and one sample as a flat array, as Get-MlpGradient does' {
            $p = $net | Invoke-MlpPrediction -Features @($test.Features[0, 0], $test.Features[0, 1]) -Labels $test.Labels[0]
            @($p).Count | Should -Be 1
            Should-BeSameNumbers (Get-Probabilities $p) (Get-Probabilities $expected[0])
            $p.Correct | Should -Be $expected[0].Correct
        }

        It 'refuses <Case> with Get-MlpGradient''s id <Id>' -TestCases @(
            @{ Case = 'ragged rows'; Features = @(@(1, 2), @(3)); Labels = $null; Id = 'RaggedMatrix'; Category = 'InvalidArgument' }
            @{ Case = 'NaN'; Features = @(@(1, 2), @(3, [double]::NaN)); Labels = $null; Id = 'NonFiniteEntry'; Category = 'InvalidArgument' }
            @{ Case = 'a string'; Features = 'abc'; Labels = $null; Id = 'InvalidMatrix'; Category = 'InvalidArgument' }
            @{ Case = 'the wrong width'; Features = @(@(1, 2, 3)); Labels = $null; Id = 'FeatureCountMismatch'; Category = 'InvalidData' }
            @{ Case = 'too few labels'; Features = @(@(1, 2), @(3, 4)); Labels = @(0); Id = 'LabelCountMismatch'; Category = 'InvalidData' }
            @{ Case = 'a label outside the classes'; Features = @(@(1, 2), @(3, 4)); Labels = @(0, 3); Id = 'LabelOutOfRange'; Category = 'InvalidData' }
        ) {
            $splat = @{ Network = $net; Features = $Features }
            if ($null -ne $Labels) { $splat.Labels = [int[]]$Labels }
            $err = { Invoke-MlpPrediction @splat } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be $Category
        }
    }

    Context 'Command' {
        It 'declares its output type and has one pipeline parameter per parameter set' {
            $cmd = Get-Command Invoke-MlpPrediction
            $cmd.OutputType.Type | Should -Contain ([MlpTools.Core.Model.Prediction])
            foreach ($set in $cmd.ParameterSets) { @($set.Parameters | Where-Object ValueFromPipeline).Count | Should -Be 1 }
        }

        It 'shows a table of Index, Predicted, Probability, Actual and Correct' {
            $saved = [cultureinfo]::CurrentCulture
            try {
                [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture
                $text = Invoke-MlpPrediction -Network $net -Dataset $test.Subset([int[]](0..2)) | Out-String -Width 80
            }
            finally { [cultureinfo]::CurrentCulture = $saved }
            $text | Should -Match 'Index\s+Predicted\s+Probability\s+Actual\s+Correct'
            $text | Should -Match '\s0\s+\d\s+[01]\.\d{4}\s+\d\s+(True|False)'
        }
    }
}
