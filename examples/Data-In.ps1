# Data-In: every way data gets into MlpTools besides the built-ins: CSV and TSV files (as other tools write them),
# objects from the pipeline, and IDX files (the MNIST format). Each example writes the small file it reads into the
# temporary folder first.
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Data-In.ps1
#
# Fashion-MNIST (Debian's fashion-mnist package puts it in /usr/share/datasets/fashion-mnist) loads the same way as
# the small IDX pair below, 60,000 images of 28x28 pixels in about a second:
#   Import-Dataset -Path /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz `
#       -LabelPath /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

Show-Example 'A CSV file as another tool writes it (byte-order mark, quoted header and fields) with text labels, read as it is' {
    $csv = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-flowers.csv'
    $flowers = foreach ($i in 0..89) {
        $k = $i % 3
        [pscustomobject]@{
            Length  = [math]::Round(1.4 + 2.2 * $k + ($i % 5) / 10, 2)
            Width   = [math]::Round(0.2 + 0.9 * $k + ($i % 4) / 10, 2)
            Species = ('setosa', 'versicolor', 'virginica')[$k]
        }
    }
    $flowers | Export-Csv -LiteralPath $csv -Encoding utf8BOM
    Get-Content -LiteralPath $csv -TotalCount 3
    $data = Import-Dataset -Path $csv -LabelColumn Species
    $data
    'Classes: {0}; features: {1}' -f ($data.ClassNames -join ', '), ($data.FeatureNames -join ', ')
}

Show-Example 'A TSV file without a header: the label and the features by 0-based column index' {
    $tsv = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-points.tsv'
    Set-Content -LiteralPath $tsv -Value "0.1`t0.9`tup", "0.8`t0.2`tdown", "0.2`t0.7`tup", "0.9`t0.1`tdown"
    $points = Import-Dataset -Path $tsv -NoHeader -LabelColumn 2 -FeatureColumn 1, 0
    $points
    $points.Features
}

Show-Example 'A file whose first line gives the sample count, the feature count and the class names, read as it is; the same lines named on their way in' {
    $wine = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-wine.csv'
    $rows = foreach ($i in 0..29) { '{0},{1},{2}' -f (12 + $i % 3), (2 + ($i % 5) / 10), ($i % 3) }
    Set-Content -LiteralPath $wine -Value (@('30,2,class_0,class_1,class_2') + $rows)
    Get-Content -LiteralPath $wine -TotalCount 3
    Import-Dataset -Path $wine | Format-List Name, Count, FeatureCount, ClassNames, Source
    $named = Get-Content -LiteralPath $wine | Select-Object -Skip 1 |
        Import-Dataset -ColumnName alcohol, acid, cultivar -ClassName barolo, grignolino, barbera -SourceName wine.csv
    'Features: {0}; classes: {1}' -f ($named.FeatureNames -join ', '), ($named.ClassNames -join ', ')
}

Show-Example 'Write the parts of a split to CSV files, with the rows of the whole that each part took, so another tool can use the same rows' {
    $folder = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-digits-parts'
    $null = New-Item -ItemType Directory -Path $folder -Force
    Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1 |
        Export-Dataset -Path $folder -IncludeSourceRow -Force
    Get-ChildItem -LiteralPath $folder | Sort-Object Name | Format-Table Name, Length
    Import-Csv -LiteralPath (Join-Path $folder 'Digits-test.csv') | Select-Object -First 3 | Format-Table source_row, pixel_0_2, label
}

Show-Example 'Rows from Import-Csv become one dataset: text read as numbers, text labels as classes' {
    $csv = Join-Path ([IO.Path]::GetTempPath()) 'mlptools-sides.csv'
    $points = foreach ($i in 0..39) {
        [pscustomobject]@{ X = $i % 8; Y = [math]::Floor($i / 8); Side = ('left', 'right')[[int](($i % 8) -ge 4)] }
    }
    $points | Export-Csv -LiteralPath $csv
    $data = Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty Side -Name Sides
    $data
    $data.ClassNames
}

Show-Example 'Any objects with numeric properties: choose the features; whole-number labels stay classes 0, 1, ...' {
    $exams = foreach ($i in 1..30) {
        [pscustomobject]@{ Student = "s$i"; Hours = $i % 10; Sleep = 9 - $i % 4; Passed = [int](($i % 10) -ge 5) }
    }
    $data = $exams | ConvertTo-Dataset -LabelProperty Passed -FeatureProperty Hours, Sleep -Name Exams
    $data
    $data.ClassCounts()
}

Show-Example 'IDX files (the MNIST format), raw or gzip: an images file and its labels file; -NoScaling keeps the bytes' {
    $dir = [IO.Path]::GetTempPath()
    $images = Join-Path $dir 'mlptools-tiny-images.idx'
    $labels = Join-Path $dir 'mlptools-tiny-labels.idx'
    # Magic 00 00 08 (unsigned bytes) 03 (dimensions), sizes 4, 2, 2 (big-endian), then 4 images of 2x2 pixels.
    $header = [byte[]](0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2)
    [IO.File]::WriteAllBytes($images, $header + [byte[]](0, 255, 0, 255, 255, 0, 255, 0, 0, 128, 0, 128, 128, 0, 128, 0))
    [IO.File]::WriteAllBytes($labels, [byte[]](0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 0, 1))
    $tiny = Import-Dataset -Path $images -LabelPath $labels
    $tiny
    $tiny.Features
    (Import-Dataset -Path $images -LabelPath $labels -NoScaling).Features
}
