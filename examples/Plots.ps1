# Plots: pictures of a network as PNG files. How it trained (loss and accuracy per epoch, the best epoch marked),
# which classes a test confused, and what its first layer learned (one image per hidden unit).
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Plots.ps1   (the pictures land in the temp folder)

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'Draw the loss and accuracy per epoch of a training run with validation, the best epoch marked' {
    $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 20 -ValidationDataset $test -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-history.png'
    $net | Export-MlpPlot -Kind History -Path $file -Force
    Get-Item -LiteralPath $file | Select-Object Name, Length
}

Show-Example 'Draw a test''s confusion matrix: the count in each cell, class names on both axes' {
    $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.2 -Stratify -Seed 1
    $net = $train | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-confusion.png'
    $net | Test-Mlp -Dataset $test | Export-MlpPlot -Kind ConfusionMatrix -Path $file -Width 600 -Height 540 -Force
    Get-Item -LiteralPath $file | Select-Object Name, Length
}

Show-Example 'Draw what the first layer learned: each hidden unit''s weights as an 8x8 image, as the Digits are' {
    $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 36 -Seed 1 | Invoke-Training -Epochs 60 -Regularization 0.5 -Seed 1
    "Each input is an image of $($net.ImageShape) pixels"    # the network took the shape from the Digits
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-weights.png'
    $net | Export-MlpPlot -Kind Weights -Path $file -Force
    Get-Item -LiteralPath $file | Select-Object Name, Length
}

Show-Example 'A CSV file does not say its rows are images: give their shape with -ImageShape' {
    $csv = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-digits.csv'
    Import-Dataset -Name Digits | Export-Dataset -Path $csv -Force
    $net = Import-Dataset -Path $csv | New-Mlp -HiddenSize 16 -Seed 1 | Invoke-Training -Epochs 10 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-csv-weights.png'
    $net | Export-MlpPlot -Kind Weights -ImageShape 8, 8 -Path $file -Force
    Get-Item -LiteralPath $file | Select-Object Name, Length
}

Show-Example 'Export-MlpPlot replaces a picture only with -Force; -WhatIf says what it would draw and writes nothing' {
    $net = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-spiral-history.png'
    $net | Export-MlpPlot -Kind History -Path $file -Force
    $net | Export-MlpPlot -Kind History -Path $file -WhatIf
    try { $net | Export-MlpPlot -Kind History -Path $file } catch { $_.FullyQualifiedErrorId }
}

Show-Example 'Draw how each epoch moved the weights: update/weight ratios on a log scale, and the share of dead ReLUs' {
    $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 20 -Seed 1
    $file = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-diagnostics.png'
    $net | Export-MlpPlot -Kind Diagnostics -Path $file -Force
    Get-Item -LiteralPath $file | Select-Object Name, Length
}
