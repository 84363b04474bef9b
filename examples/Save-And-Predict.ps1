# Save-And-Predict: keep a trained network in a file, load it back (in this session or any other), and ask it about
# new data: a held-out dataset, or rows of a CSV file matched to its features by name.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Save-And-Predict.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'Save a trained network and load it back: the same weights and predictions, bit for bit' {
    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 50 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-spiral.safetensors'
    Export-Mlp -Network $net -Path $file -Force
    $loaded = Import-Mlp -Path $file
    $loaded
    $before = Invoke-MlpPrediction -Network $net -Dataset $spiral
    $after = Invoke-MlpPrediction -Network $loaded -Dataset $spiral
    'Same W1: {0}; same probabilities: {1}' -f $loaded.W1.Equals($net.W1),
        [Linq.Enumerable]::SequenceEqual([double[]]$before.Probabilities, [double[]]$after.Probabilities)
}

Show-Example 'Export-Mlp replaces a file only with -Force; -WhatIf says what it would do and writes nothing' {
    $net = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 8 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-small.safetensors'
    $net | Export-Mlp -Path $file -Force
    $net | Export-Mlp -Path $file -WhatIf
    Get-Item -LiteralPath $file | Select-Object Name, Length
}

Show-Example 'Predictions for a held-out dataset: the actual class, whether it was right, every class''s probability' {
    $train, $test = Import-Dataset -Name Spiral -Seed 1 | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training -Epochs 200 -Seed 1
    $predictions = Invoke-MlpPrediction -Network $net -Dataset $test
    $predictions | Select-Object -First 5
    '{0} of {1} right' -f @($predictions | Where-Object Correct).Count, $predictions.Count
    $predictions[0].Probabilities
}

Show-Example 'Predict rows of a new CSV file: matched to the network''s features by name, extra columns ignored' {
    $flowers = foreach ($i in 0..89) {
        $k = $i % 3
        [pscustomobject]@{ Length = 1.4 + 2.2 * $k + ($i % 5) / 10; Width = 0.2 + 0.9 * $k + ($i % 4) / 10; Species = ('setosa', 'versicolor', 'virginica')[$k] }
    }
    $net = $flowers | ConvertTo-Dataset -LabelProperty Species | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 100 -Seed 1
    $csv = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-new-flowers.csv'
    Set-Content -LiteralPath $csv -Value 'Id,Width,Length,Note', 'a,0.3,1.5,small', 'b,1.2,3.8,', 'c,2.1,6.1,large'
    Import-Csv -LiteralPath $csv | Invoke-MlpPrediction -Network $net |
        Format-Table @{ Name = 'Id'; Expression = { $_.InputObject.Id } }, Predicted, Probability, Probabilities
}

Show-Example 'Check predictions against a label column of the objects with -LabelProperty' {
    $flowers = foreach ($i in 0..89) {
        $k = $i % 3
        [pscustomobject]@{ Length = 1.4 + 2.2 * $k + ($i % 5) / 10; Width = 0.2 + 0.9 * $k + ($i % 4) / 10; Species = ('setosa', 'versicolor', 'virginica')[$k] }
    }
    $net = $flowers | ConvertTo-Dataset -LabelProperty Species | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 100 -Seed 1
    $flowers | Select-Object -First 4 | Invoke-MlpPrediction -Network $net -LabelProperty Species
}

Show-Example 'Predict samples given as a matrix or nested arrays, as Get-MlpGradient takes them; -Labels fills Actual and Correct' {
    $spiral = Import-Dataset -Name Spiral -Seed 1
    $net = $spiral | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 100 -Seed 1
    Invoke-MlpPrediction -Network $net -Features @(@(0.0, 0.0), @(0.5, -0.5), @(-0.3, 0.8))
    $net | Invoke-MlpPrediction -Features $spiral.Features.SubMatrix(0, 3, 0, 2) -Labels $spiral.Labels[0..2]
}
