# Export-Onnx: hand a trained network to other programs as an ONNX model (ONNX Runtime in C#, Python or a browser,
# ML.NET, ...): its input scaling, both layers and the softmax, with the class and feature names in its metadata.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Export-Onnx.ps1
# Where Debian's python3-onnx is installed, tests/reference/check_onnx.py checks a file with the onnx package:
#   /usr/bin/python3 tests/reference/check_onnx.py digits.onnx

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'Export a trained network as ONNX: input [N, 64] of raw features, outputs probabilities [N, 10] and label [N]' {
    $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 64 -Seed 1 | Invoke-Training -Epochs 10 -Scaling Standardize -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-digits.onnx'
    $net | Export-MlpOnnx -Path $file -Force -Verbose 4>&1
    Get-Item -LiteralPath $file | Select-Object Name, Length
}

Show-Example 'A Double network as float32 for runtimes without double kernels; -WhatIf writes nothing' {
    $net = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 16 -Precision Double -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-spiral.onnx'
    $net | Export-MlpOnnx -Path $file -Precision Single -Force
    $net | Export-MlpOnnx -Path $file -WhatIf
    Get-Item -LiteralPath $file | Select-Object Name, Length
}
