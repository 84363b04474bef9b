BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ExportDatasetCommand" }
    # The features as the dataset holds them, row by row, and the labels: what a round trip must keep exactly.
    function Get-Content-Of($Data) {
        [pscustomobject]@{
            Values  = $Data.Features.ToRowMajorArray()
            Labels  = $Data.Labels
            Classes = $Data.ClassNames
            Names   = $Data.FeatureNames
        }
    }
}

Describe 'Export-Dataset' {
    Context 'Round trips' {
        It 'writes Digits so that Import-Dataset reads back the same values, labels and names' {
            $digits = Import-Dataset -Name Digits
            $file = Join-Path $TestDrive 'digits.csv'
            $digits | Export-Dataset -Path $file
            (Get-Content -LiteralPath $file -TotalCount 1) | Should -Match '^pixel_0_0,pixel_0_1,.*,pixel_7_7,label$'
            $back = Import-Dataset -Path $file
            $a = Get-Content-Of $digits; $b = Get-Content-Of $back
            $back.Count | Should -Be 1797
            $b.Names | Should -Be $a.Names
            $b.Classes | Should -Be $a.Classes
            $b.Labels | Should -Be $a.Labels
            $b.Values | Should -Be $a.Values
        }

        It 'keeps text class names and feature names with delimiters, quotes and spaces' {
            $rows = foreach ($i in 0..11) {
                [pscustomobject]@{ 'width, cm' = $i / 3; 'say "hi"' = [math]::Sqrt($i); kind = ('a,b', ' padded', 'quote"d')[$i % 3] }
            }
            $data = $rows | ConvertTo-Dataset -LabelProperty kind
            $file = Join-Path $TestDrive 'odd.csv'
            Export-Dataset -Dataset $data -LiteralPath $file
            $back = Import-Dataset -LiteralPath $file
            $back.FeatureNames | Should -Be @('width, cm', 'say "hi"')
            $back.ClassNames | Should -Be $data.ClassNames
            $back.Labels | Should -Be $data.Labels
            $back.Features.ToRowMajorArray() | Should -Be $data.Features.ToRowMajorArray()
        }

        It 'writes a tab-separated file for .tsv, or with any -Delimiter' {
            $spiral = Import-Dataset -Name Spiral -Seed 3 -SamplesPerClass 10
            $tsv = Join-Path $TestDrive 'spiral.tsv'
            $spiral | Export-Dataset $tsv
            (Get-Content -LiteralPath $tsv -TotalCount 1) | Should -Be "x`ty`tlabel"
            (Import-Dataset $tsv).Features.ToRowMajorArray() | Should -Be $spiral.Features.ToRowMajorArray()
            $semi = Join-Path $TestDrive 'spiral.txt'
            $spiral | Export-Dataset $semi -Delimiter ';'
            (Get-Content -LiteralPath $semi -TotalCount 1) | Should -Be 'x;y;label'
        }

        It 'keeps a class order that is not the reader''s when read back with -ClassName' {
            $file = Join-Path $TestDrive 'ordered.csv'
            Set-Content -LiteralPath $file -Value 'a,label', '1,high', '2,low', '3,mid'
            $data = Import-Dataset $file -ClassName low, mid, high
            $out = Join-Path $TestDrive 'ordered-out.csv'
            $data | Export-Dataset $out
            (Import-Dataset $out -ClassName $data.ClassNames).Labels | Should -Be $data.Labels
        }
    }

    Context 'The parts of a split' {
        It 'writes each piped part into a folder, named after it, and says which rows went where' {
            $digits = Import-Dataset -Name Digits
            $folder = Join-Path $TestDrive 'parts'
            $null = New-Item -ItemType Directory -Path $folder
            $digits | Split-Dataset -TestFraction 0.25 -ValidationFraction 0.1 -Stratify -Seed 1 | Export-Dataset $folder -IncludeSourceRow
            @(Get-ChildItem -LiteralPath $folder).Name | Sort-Object | Should -Be @('Digits-test.csv', 'Digits-train.csv', 'Digits-validation.csv')
            $rows = foreach ($part in 'train', 'validation', 'test') {
                Import-Csv -LiteralPath (Join-Path $folder "Digits-$part.csv") | ForEach-Object { [int]$_.source_row }
            }
            $rows.Count | Should -Be 1797
            ($rows | Sort-Object -Unique).Count | Should -Be 1797
            # A part's rows are the source's rows: the features of test row 0 are those of the source row it names.
            $test = Import-Dataset (Join-Path $folder 'Digits-test.csv') -FeatureColumn (1..64)
            $first = [int](Import-Csv -LiteralPath (Join-Path $folder 'Digits-test.csv') | Select-Object -First 1).source_row
            $test.Features.Row(0).ToArray() | Should -Be $digits.Features.Row($first).ToArray()
        }

        It 'gives the source rows on the parts themselves, through splits of splits' {
            $data = Import-Dataset -Name Spiral -Seed 1 -SamplesPerClass 20
            $train, $test = $data | Split-Dataset -TestFraction 0.5 -Seed 2
            $a, $b = $train | Split-Dataset -TestFraction 0.5 -Seed 3
            $b.SourceRows | ForEach-Object { $_ } | Should -BeIn $train.SourceRows
            $b.Features.Row(0).ToArray() | Should -Be $data.Features.Row($b.SourceRows[0]).ToArray()
            $data.SourceRows | Should -BeNullOrEmpty
        }
    }

    Context 'File rules' {
        BeforeAll {
            $spiral = Import-Dataset -Name Spiral -Seed 1 -SamplesPerClass 5
        }

        It 'never replaces a file without -Force, and replaces it with -Force' {
            $file = Join-Path $TestDrive 'kept.csv'
            Set-Content -LiteralPath $file -Value 'precious'
            $err = { $spiral | Export-Dataset $file } | Should -Throw -ErrorId (Get-Id DatasetFileExists) -PassThru
            $err.CategoryInfo.Category | Should -Be 'ResourceExists'
            Get-Content -LiteralPath $file | Should -Be 'precious'
            $spiral | Export-Dataset $file -Force
            (Import-Dataset $file).Count | Should -Be 15
            @(Get-ChildItem -LiteralPath $TestDrive -Force -Filter '*.tmp').Count | Should -Be 0
        }

        It 'writes nothing with -WhatIf' {
            $file = Join-Path $TestDrive 'whatif.csv'
            $spiral | Export-Dataset $file -WhatIf
            Test-Path -LiteralPath $file | Should -BeFalse
        }

        It 'refuses two datasets piped to one file, a missing folder, and source rows a dataset does not have' {
            $file = Join-Path $TestDrive 'one.csv'
            { $spiral | Split-Dataset -TestFraction 0.4 -Seed 1 | Export-Dataset $file } | Should -Throw -ErrorId (Get-Id DatasetPathReused)
            { $spiral | Export-Dataset (Join-Path $TestDrive 'no/such/folder.csv') } | Should -Throw -ErrorId (Get-Id DatasetDirectoryNotFound)
            { $spiral | Export-Dataset (Join-Path $TestDrive 'whole.csv') -IncludeSourceRow } | Should -Throw -ErrorId (Get-Id NoSourceRows)
            { Import-Csv -LiteralPath $file | Export-Dataset (Join-Path $TestDrive 'rows.csv') } | Should -Throw -ErrorId (Get-Id InputNotADataset)
        }

        It 'names the parameter to use, a hint the cmdlet adds to the engine''s message (<Id>)' -TestCases @(
            @{ Id = 'DatasetFileExists'; Hint = 'Export-Dataset -Force replaces it\.$'; Engine = 'allow replacing it \(overwrite: true\)\.$'; Run = { $spiral | Export-Dataset (Join-Path $TestDrive 'kept.csv') } }
            @{ Id = 'NoSourceRows'; Hint = 'leave out -IncludeSourceRow\.$'; Engine = 'leave IncludeSourceRows off\.$'; Run = { $spiral | Export-Dataset (Join-Path $TestDrive 'whole.csv') -IncludeSourceRow } }
        ) {
            Set-Content -LiteralPath (Join-Path $TestDrive 'kept.csv') -Value 'precious'
            $err = $Run | Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.Exception.Message | Should -Match $Hint
            $err.Exception.InnerException.ErrorId | Should -Be $Id
            $err.Exception.InnerException.Message | Should -Match $Engine
            $err.Exception.InnerException.Message | Should -Not -Match 'Export-Dataset|-Force|-IncludeSourceRow'
        }
    }
}
