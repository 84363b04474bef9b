# Inspect-Gradients: a walk-through for learners who derive backpropagation by hand. See every quantity of
# the forward and backward passes of a small batch, check the network's gradients against finite
# differences, then check a gradient you computed yourself. The math (README.md), X one sample a row:
#
#   Hpre = X W1 + b1     A = max(0, Hpre)     Z = A W2 + b2     P = softmax(Z)
#   dZ = (P - Y) / m     dW2 = A^T dZ + (lambda/m) W2     dA = dZ W2^T     dH = dA * 1[Hpre > 0]
#
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Inspect-Gradients.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'A network small enough to follow by hand: 2 inputs, 3 hidden units, 2 classes (W1 has one row per input)' {
    $net = New-Mlp -Parameters @{
        W1 = @(@(0.1, -0.2, 0.3), @(0.4, 0.5, -0.6))
        b1 = @(0.0, 0.1, -0.1)
        W2 = @(@(0.2, -0.3), @(-0.1, 0.4), @(0.5, 0.1))
        b2 = @(0.0, 0.0)
    }
    $net.W1
    $net.W2
}

Show-Example 'Two samples as nested arrays, one row each, and their labels; -Trace adds every intermediate' {
    $net = New-Mlp -Parameters @{
        W1 = @(@(0.1, -0.2, 0.3), @(0.4, 0.5, -0.6))
        b1 = @(0.0, 0.1, -0.1)
        W2 = @(@(0.2, -0.3), @(-0.1, 0.4), @(0.5, 0.1))
        b2 = @(0.0, 0.0)
    }
    $trace = $net | Get-MlpGradient -Features @(@(1.0, 2.0), @(-1.0, 0.5)) -Labels 0, 1 -Regularization 0 -Trace
    $trace.Hpre, $trace.A, $trace.Z, $trace.P, $trace.dZ, $trace.dW2
}

Show-Example 'A batch of 8 digits through a float64 network, and the trace checked against its formulas' {
    $digits = Import-Dataset -Name Digits
    $batch = $digits.Subset([int[]](0..7))
    $net = $digits | New-Mlp -HiddenSize 16 -Precision Double -Seed 1
    $g = $net | Get-MlpGradient -Dataset $batch -Regularization 0.01 -Trace
    $g
    'dZ - (P - Y)/m: largest difference {0}' -f ($g.dZ - ($g.P - $g.Y) / $g.SampleCount).InfinityNorm()
    'A - max(0, Hpre): largest difference {0}' -f ($g.A - $g.Hpre.PointwiseMaximum(0.0)).InfinityNorm()
}

Show-Example 'Check every parameter''s analytic gradient against centered differences (float64); all pass' {
    $digits = Import-Dataset -Name Digits
    $batch = $digits.Subset([int[]](0..15))
    $net = $digits | New-Mlp -HiddenSize 32 -Precision Double -Seed 1
    $net | Test-MlpGradient -Dataset $batch -Regularization 1e-3 -SampleCount 50 -Seed 1
}

Show-Example 'Check a dW2 computed by hand: A^T dZ + (lambda/m) W2 passes; without the L2 term it fails loudly' {
    $digits = Import-Dataset -Name Digits
    $batch = $digits.Subset([int[]](0..7))
    $net = $digits | New-Mlp -HiddenSize 16 -Precision Double -Seed 1
    $lambda = 0.1
    $t = $net | Get-MlpGradient -Dataset $batch -Regularization $lambda -Trace
    $dW2 = $t.A.TransposeThisAndMultiply($t.dZ) + $net.W2 * ($lambda / $t.SampleCount)
    $net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient @{ W2 = $dW2 }
    $forgotL2 = $t.A.TransposeThisAndMultiply($t.dZ)
    $net | Test-MlpGradient -Dataset $batch -Regularization $lambda -Gradient @{ W2 = $forgotL2 }
}
