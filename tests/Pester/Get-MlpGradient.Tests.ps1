BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $digits = Import-Dataset -Name Digits
    $batch = $digits.Subset([int[]](0..9))
    $net = $digits | New-Mlp -HiddenSize 12 -Precision Double -Seed 1
    $lambda = 0.1
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.GetMlpGradientCommand" }
    function Get-MaxDifference($A, $B) { ($A - $B).InfinityNorm() }
    $hand = New-Mlp -Parameters @{
        W1 = @(@(0.1, -0.2, 0.3), @(0.4, 0.5, -0.6))
        b1 = @(0.0, 0.1, -0.1)
        W2 = @(@(0.2, -0.3), @(-0.1, 0.4), @(0.5, 0.1))
        b2 = @(0.0, 0.0)
    }
}

Describe 'Get-MlpGradient' {
    Context 'The report' {
        BeforeAll {
            $g = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda
        }

        It 'has Loss = DataLoss + RegularizationLoss, as numbers' {
            $g.Loss | Should -BeOfType ([double])
            $g.Loss | Should -Be ($g.DataLoss + $g.RegularizationLoss)
            $g.SampleCount | Should -Be 10
            $g.Regularization | Should -Be $lambda
            $expected = $lambda / (2 * 10) * ([math]::Pow($net.W1.FrobeniusNorm(), 2) + [math]::Pow($net.W2.FrobeniusNorm(), 2))
            $g.RegularizationLoss | Should -BeLessThan ($expected * (1 + 1e-12))
            $g.RegularizationLoss | Should -BeGreaterThan ($expected * (1 - 1e-12))
        }

        It 'has gradients dW1, db1, dW2, db2 as MathNet types shaped like the parameters' {
            $g.dW1 -is [MathNet.Numerics.LinearAlgebra.Matrix[double]] | Should -BeTrue
            $g.db1 -is [MathNet.Numerics.LinearAlgebra.Vector[double]] | Should -BeTrue
            $g.dW1.RowCount, $g.dW1.ColumnCount | Should -Be @(64, 12)
            $g.db1.Count | Should -Be 12
            $g.dW2.RowCount, $g.dW2.ColumnCount | Should -Be @(12, 10)
            $g.db2.Count | Should -Be 10
        }

        It 'still answers to the gradients'' old names W1, b1, W2, b2, hidden aliases of dW1, db1, dW2, db2' {
            $g.W1 -is [MathNet.Numerics.LinearAlgebra.Matrix[double]] | Should -BeTrue
            $g.b1 -is [MathNet.Numerics.LinearAlgebra.Vector[double]] | Should -BeTrue
            foreach ($name in 'W1', 'b1', 'W2', 'b2') {
                [object]::ReferenceEquals($g.$name, $g."d$name") | Should -BeTrue -Because "`$g.$name is `$g.d$name"
                ($g | Get-Member -Name $name) | Should -BeNullOrEmpty -Because "$name is hidden"
                ($g | Get-Member -Name $name -Force).MemberType | Should -Be 'AliasProperty'
                ($g | Get-Member -Name "d$name").MemberType | Should -Be 'Property'
            }
        }

        It 'has no trace without -Trace' {
            $g.HasTrace | Should -BeFalse
            $g.Trace | Should -BeNullOrEmpty
            $g.Hpre | Should -BeNullOrEmpty
        }

        It 'takes the loss Invoke-Training takes by default: the same lambda (1e-4), so the same loss' {
            $default = $net | Get-MlpGradient -Dataset $batch
            $default.Regularization | Should -Be 1e-4
            $default.Loss | Should -Be ($net | Get-MlpGradient -Dataset $batch -Regularization 1e-4).Loss
            # L-BFGS's first epoch is one full-batch evaluation at the starting weights.
            $trained = $net.Clone()
            $null = $trained | Invoke-Training -Dataset $batch -Optimizer Lbfgs -Epochs 1
            $trained.History[0].Loss | Should -Be $default.Loss
        }

        It 'takes the data loss alone with -Regularization 0' {
            $plain = $net | Get-MlpGradient -Dataset $batch -Regularization 0
            $plain.RegularizationLoss | Should -Be 0
            $plain.Loss | Should -Be $plain.DataLoss
        }

        It 'is in single precision for a single-precision network' {
            $single = $digits | New-Mlp -HiddenSize 4 -Seed 1
            $s = $single | Get-MlpGradient -Dataset $batch
            $s -is [MlpTools.Core.Inspection.GradientReport[single]] | Should -BeTrue
            $s.dW1 -is [MathNet.Numerics.LinearAlgebra.Matrix[single]] | Should -BeTrue
        }
    }

    Context 'The trace, line by line of the derivation' {
        BeforeAll {
            $t = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda -Trace
            $m = 10
        }

        It 'has every intermediate by name, with its shape' -TestCases @(
            @{ Name = 'X'; Columns = 64 }, @{ Name = 'Y'; Columns = 10 }
            @{ Name = 'Hpre'; Columns = 12 }, @{ Name = 'A'; Columns = 12 }, @{ Name = 'Z'; Columns = 10 }, @{ Name = 'P'; Columns = 10 }
            @{ Name = 'dZ'; Columns = 10 }, @{ Name = 'dA'; Columns = 12 }, @{ Name = 'dH'; Columns = 12 }
        ) {
            $t.HasTrace | Should -BeTrue
            $t.$Name -is [MathNet.Numerics.LinearAlgebra.Matrix[double]] | Should -BeTrue
            $t.$Name.RowCount, $t.$Name.ColumnCount | Should -Be @(10, $Columns)
        }

        It 'has a Trace property holding every name its view lists under Trace, the same matrices as the report''s own' {
            $listed = ($t | Out-String -Width 200) -split '\r?\n' | Where-Object { $_ -match '^Trace\s+: ' } | ForEach-Object { ($_ -replace '^Trace\s+: ', '').Trim() }
            $names = @($listed -split ',\s*')
            $names | Should -Be @('X', 'Y', 'Hpre', 'A', 'Z', 'P', 'dZ', 'dA', 'dH')
            $t.Trace -is [MlpTools.Core.Inspection.BackpropTrace[double]] | Should -BeTrue
            $t.Trace.SampleCount | Should -Be 10
            foreach ($name in $names) {
                $t.Trace.$name -is [MathNet.Numerics.LinearAlgebra.Matrix[double]] | Should -BeTrue -Because "`$g.Trace.$name"
                [object]::ReferenceEquals($t.Trace.$name, $t.$name) | Should -BeTrue -Because "`$g.$name is `$g.Trace.$name"
            }
        }

        It 'shows the trace as a list of the intermediates, their shapes and formulas' {
            $text = $t.Trace | Out-String -Width 120
            $text | Should -Match 'X\s+: 10x64 matrix'
            $text | Should -Match 'Hpre\s+: 10x12 matrix: X W1 \+ b1'
            $text | Should -Match 'dH\s+: 10x12 matrix: dA \* 1\[Hpre > 0\]'
        }

        It 'Hpre = X W1 + b1 and A = max(0, Hpre)' {
            $ones = [MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.Dense($m, 1, 1.0)
            $b1Rows = $ones * $net.b1.ToRowMatrix()      # b1 added to every row
            Get-MaxDifference $t.Hpre ($t.X * $net.W1 + $b1Rows) | Should -BeLessThan 1e-12
            Get-MaxDifference $t.A $t.Hpre.PointwiseMaximum(0.0) | Should -Be 0
        }

        It 'P = softmax(Z): rows of positive numbers summing to 1' {
            foreach ($row in $t.P.EnumerateRows()) { [math]::Abs($row.Sum() - 1) | Should -BeLessThan 1e-12 }
            $t.Z.Row(0).MaximumIndex() | Should -Be $t.P.Row(0).MaximumIndex()
        }

        It 'dZ = (P - Y) / m' {
            Get-MaxDifference $t.dZ (($t.P - $t.Y) / $m) | Should -BeLessThan 1e-15
        }

        It 'dW2 = A^T dZ + (lambda/m) W2 and db2 = column sums of dZ' {
            Get-MaxDifference $t.dW2 ($t.A.TransposeThisAndMultiply($t.dZ) + $net.W2 * ($lambda / $m)) | Should -BeLessThan 1e-14
            Get-MaxDifference $t.db2 ([MathNet.Numerics.LinearAlgebra.Vector[double]]$t.dZ.ColumnSums()) | Should -BeLessThan 1e-15
        }

        It 'dA = dZ W2^T and dH = dA * 1[Hpre > 0]' {
            Get-MaxDifference $t.dA $t.dZ.TransposeAndMultiply($net.W2) | Should -BeLessThan 1e-15
            $mask = $t.Hpre.PointwiseSign().PointwiseMaximum(0.0)     # 1 where Hpre > 0, else 0
            Get-MaxDifference $t.dH $t.dA.PointwiseMultiply($mask) | Should -Be 0
        }

        It 'dW1 = X^T dH + (lambda/m) W1 and db1 = column sums of dH' {
            Get-MaxDifference $t.dW1 ($t.X.TransposeThisAndMultiply($t.dH) + $net.W1 * ($lambda / $m)) | Should -BeLessThan 1e-14
            Get-MaxDifference $t.db1 $t.dH.ColumnSums() | Should -BeLessThan 1e-15
        }
    }

    Context 'Pipeline and binding' {
        BeforeAll {
            $reference = (Get-MlpGradient -Network $net -Dataset $batch).Loss
        }

        It 'takes <Form>' -TestCases @(
            @{ Form = 'the network piped, -Dataset by name'; Run = { $net | Get-MlpGradient -Dataset $batch } }
            @{ Form = 'the dataset piped, -Network by name'; Run = { $batch | Get-MlpGradient -Network $net } }
            @{ Form = 'both by position'; Run = { Get-MlpGradient $net $batch } }
            @{ Form = '-Features and -Labels'; Run = { Get-MlpGradient -Network $net -Features $batch.Features -Labels $batch.Labels } }
            @{ Form = 'the network piped with -Features and -Labels'; Run = { $net | Get-MlpGradient -Features $batch.Features -Labels $batch.Labels } }
        ) {
            (& $Run).Loss | Should -Be $reference
        }

        It 'takes the network''s own Dataset when none is given' {
            $own = $batch | New-Mlp -HiddenSize 12 -Precision Double -Seed 1
            ($own | Get-MlpGradient).SampleCount | Should -Be 10
        }

        It 'takes -Features as <Form>' -TestCases @(
            @{ Form = 'nested arrays'; Make = { , @(@(1.0, 2.0), @(-1.0, 0.5)) } }
            @{ Form = 'nested arrays of mixed numeric types'; Make = { , @(@([int]1, [decimal]2), @([float]-1, 0.5)) } }
            @{ Form = 'a two-dimensional array'; Make = { $a = [double[,]]::new(2, 2); $a[0, 0] = 1; $a[0, 1] = 2; $a[1, 0] = -1; $a[1, 1] = 0.5; , $a } }
            @{ Form = 'a MathNet matrix'; Make = { [MathNet.Numerics.LinearAlgebra.Matrix[double]]::Build.DenseOfRowArrays([double[]](1, 2), [double[]](-1, 0.5)) } }
            @{ Form = 'rows collected from a pipeline'; Make = { , @(@(1.0, 2.0), @(-1.0, 0.5) | ForEach-Object { , $_ }) } }
        ) {
            $features = & $Make
            $g = $hand | Get-MlpGradient -Features $features -Labels 0, 1 -Trace
            $g.X.ToRowArrays() | ForEach-Object { $_ } | Should -Be @(1.0, 2.0, -1.0, 0.5)
            $g.P[1, 1] | Should -BeGreaterThan 0.5
        }

        It 'takes a flat array as one sample' {
            ($hand | Get-MlpGradient -Features @(1.0, 2.0) -Labels 1).SampleCount | Should -Be 1
        }
    }

    Context 'Bad parameters' {
        It 'rejects -Features that <Case>' -TestCases @(
            @{ Case = 'has ragged rows'; Features = @(@(1, 2), @(3)); Id = 'RaggedMatrix'; Message = '-Features: row 1 has 1 entries, but row 0 has 2' }
            @{ Case = 'holds a non-number'; Features = @(@(1, 2), @(3, 'four')); Id = 'NonNumericEntry'; Message = "-Features: the entry at row 1, column 1 is 'four'" }
            @{ Case = 'holds NaN'; Features = @(@(1, 2), @(3, [double]::NaN)); Id = 'NonFiniteEntry'; Message = 'row 1, column 1 is NaN' }
            @{ Case = 'is a string'; Features = 'abc'; Id = 'InvalidMatrix'; Message = 'must be a MathNet matrix or nested numeric arrays' }
        ) {
            $err = { $hand | Get-MlpGradient -Features $Features -Labels 0, 1 } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -BeLike "*$Message*"
        }

        It 'rejects <Case>' -TestCases @(
            @{ Case = 'a label outside the classes'; Labels = 0, 2; Features = @(@(1, 2), @(3, 4)); Id = 'LabelOutOfRange' }
            @{ Case = 'a negative label'; Labels = 0, -1; Features = @(@(1, 2), @(3, 4)); Id = 'LabelOutOfRange' }
            @{ Case = 'too few labels'; Labels = , 0; Features = @(@(1, 2), @(3, 4)); Id = 'LabelCountMismatch' }
            @{ Case = 'features of the wrong width'; Labels = 0, 1; Features = @(@(1, 2, 3), @(3, 4, 5)); Id = 'FeatureCountMismatch' }
        ) {
            $err = { $hand | Get-MlpGradient -Features $Features -Labels $Labels } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
        }

        It 'names the mismatch in its messages' {
            $err = { $hand | Get-MlpGradient -Features @(@(1, 2), @(3, 4)) -Labels 0, 2 } | Should -Throw -PassThru
            $err.Exception.Message | Should -Match '^-Labels: label 2 \(counting from 1\) is 2, but the network has 2 classes, numbered 0\.\.1\.'
            $err = { $batch | Get-MlpGradient -Network $hand } | Should -Throw -ErrorId (Get-Id FeatureCountMismatch) -PassThru
            $err.Exception.Message | Should -Match '64 features per sample, but the network takes 2 inputs'
        }

        It 'rejects a negative -Regularization' {
            { $net | Get-MlpGradient -Dataset $batch -Regularization -1 } | Should -Throw -ErrorId (Get-Id InvalidRegularization)
        }

        It 'reports a network with no data' {
            { $hand | Get-MlpGradient } | Should -Throw -ErrorId (Get-Id NoDataset)
        }
    }

    Context 'Labels' {
        BeforeAll {
            $single = New-Mlp -Precision Single -Parameters @{ W1 = @(@(0.1), @(0.2)); b1 = @(0); W2 = @(, @(1, -1)); b2 = @(0, 0) }
        }

        It 'takes whole-number -Labels of any numeric type or numeric text: <Case>' -TestCases @(
            @{ Case = 'ints'; Labels = @(0, 1) }
            @{ Case = 'whole doubles'; Labels = @(0.0, 1.0) }
            @{ Case = 'a long and a decimal'; Labels = @([long]0, [decimal]1) }
            @{ Case = 'numeric text'; Labels = @('0', ' 1 ') }
            @{ Case = 'negative zero'; Labels = @(-0.0, 1) }
        ) {
            $g = $single | Get-MlpGradient -Features @(@(0.5, 1.0), @(-0.25, 0.5)) -Labels $Labels -Trace
            $g.Y[0, 0] | Should -Be 1
            $g.Y[1, 1] | Should -Be 1
        }

        It 'refuses -Labels <Labels>: <Id>, naming the value and its position' -TestCases @(
            @{ Labels = @(0, 0.5); Id = 'InvalidLabel'; Shown = 'is 0.5, which is not a whole number' }
            @{ Labels = @(0, 1.5); Id = 'InvalidLabel'; Shown = 'is 1.5, which is not a whole number' }
            @{ Labels = @(0, [double]::NaN); Id = 'InvalidLabel'; Shown = 'is NaN, which is not a whole number' }
            @{ Labels = @(0, 'one'); Id = 'InvalidLabel'; Shown = "is 'one' (a string), which is not a number" }
            @{ Labels = @(0, $true); Id = 'InvalidLabel'; Shown = "is 'True' (a Boolean), which is not a number" }
            @{ Labels = @(0, -1); Id = 'LabelOutOfRange'; Shown = 'is -1, but the network has 2 classes' }
            @{ Labels = @(0, 2); Id = 'LabelOutOfRange'; Shown = 'is 2, but the network has 2 classes' }
            @{ Labels = @(0, [int]::MaxValue); Id = 'LabelOutOfRange'; Shown = 'is 2147483647, but' }
            @{ Labels = @(0, [int]::MinValue); Id = 'LabelOutOfRange'; Shown = 'is -2147483648, but' }
            @{ Labels = @(0, 3000000000); Id = 'LabelOutOfRange'; Shown = 'is 3000000000, but' }
            @{ Labels = @(0, [long]9007199254740993); Id = 'LabelOutOfRange'; Shown = 'is 9007199254740993, but' }
            @{ Labels = @(0, [double]9007199254740993); Id = 'LabelOutOfRange'; Shown = 'is 9007199254740992, but' }
            @{ Labels = @(0, [ulong]::MaxValue); Id = 'LabelOutOfRange'; Shown = 'is 18446744073709551615, but' }
            @{ Labels = @(0, 1e300); Id = 'LabelOutOfRange'; Shown = 'is 1E+300, but' }
        ) {
            $err = { $single | Get-MlpGradient -Features @(@(0.5, 1.0), @(-0.25, 0.5)) -Labels $Labels } | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.Exception.Message | Should -BeLike "-Labels: label 2 (counting from 1)*$Shown*"
        }
    }

    Context 'Precision edges' {
        BeforeAll {
            $tiny = @{ W1 = @(@(1e-38), @(1e-38)); b1 = @(0); W2 = @(, @(1, -1)); b2 = @(0, 0) }
            $single = New-Mlp -Parameters $tiny -Precision Single
            $double = New-Mlp -Parameters $tiny -Precision Double
        }

        It 'refuses a -Features value beyond float32 (<Value>) on a Single network, naming row, feature and value; a Double network takes it' -TestCases @(
            @{ Value = 3.5e38; Shown = '3.5E+38' }
            @{ Value = -1e300; Shown = '-1E+300' }
        ) {
            $features = @(@(0.5, 1.0), @(-0.25, $Value))
            $err = { $single | Get-MlpGradient -Features $features -Labels 0, 1 } | Should -Throw -ErrorId (Get-Id FeatureValueOutOfRange) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "Row 2 (counting from 1) of 'Features', feature 'x1': $Shown *"
            $g = $double | Get-MlpGradient -Features $features -Labels 0, 1 -Trace
            $g.X[1, 1] | Should -Be $Value
            [double]::IsFinite($g.Loss) | Should -BeTrue
        }

        It 'takes a -Features value float32 holds (<Value>) on a Single network, as float32 rounds it' -TestCases @(
            @{ Value = 3.4028234e38 }
            @{ Value = -3.4028234e38 }
            @{ Value = 1e-45 }
            @{ Value = 1e-40 }
            @{ Value = 4.9e-324 }
            @{ Value = -0.0 }
        ) {
            $g = $single | Get-MlpGradient -Features @(@(0.5, 1.0), @(-0.25, $Value)) -Labels 0, 1 -Trace
            $g.X[1, 1] | Should -Be ([float]$Value)
            [float]::IsNegative($g.X[1, 1]) | Should -Be ([double]::IsNegative($Value))
            [double]::IsFinite($g.Loss) | Should -BeTrue
        }

        It 'refuses a -Regularization whose gradient term a Single network cannot hold, up front' {
            $err = { $single | Get-MlpGradient -Features @(@(0.5, 1.0)) -Labels 0 -Regularization 1e300 } |
                Should -Throw -ErrorId (Get-Id InvalidRegularization) -PassThru
            $err.Exception.Message | Should -BeLike '*1E+300*Single*'
            [double]::IsFinite(($double | Get-MlpGradient -Features @(@(0.5, 1.0)) -Labels 0 -Regularization 1e300).Loss) | Should -BeTrue
        }
    }

    It 'declares both precisions as output types' {
        $types = (Get-Command Get-MlpGradient).OutputType.Type
        $types | Should -Contain ([MlpTools.Core.Inspection.GradientReport[single]])
        $types | Should -Contain ([MlpTools.Core.Inspection.GradientReport[double]])
    }
}
