BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    function Get-Id([string] $Id) { "$Id,MlpTools.Commands.ConvertToDatasetCommand" }

    $csv = Join-Path $TestDrive 'flowers.csv'
    $rows = for ($i = 0; $i -lt 30; $i++) {
        $k = $i % 3
        [pscustomobject]@{ Length = 1.5 + 2 * $k + ($i % 5) / 10; Width = 0.25 + $k; Species = ('virginica', 'setosa', 'versicolor')[$k] }
    }
    $rows | Export-Csv -LiteralPath $csv
}

Describe 'ConvertTo-Dataset' {
    Context 'From Import-Csv' {
        It 'makes one dataset of the rows, text parsed with the invariant culture, string labels as classes in ordinal order' {
            $saved = [cultureinfo]::CurrentCulture
            try {
                [cultureinfo]::CurrentCulture = [cultureinfo]::GetCultureInfo('de-DE')   # ',' as the decimal point
                $data = @(Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty Species)
            }
            finally { [cultureinfo]::CurrentCulture = $saved }
            $data.Count | Should -Be 1
            $data[0] | Should -BeOfType ([MlpTools.Core.Data.Dataset])
            $data[0].Count | Should -Be 30
            $data[0].FeatureNames | Should -Be @('Length', 'Width')
            $data[0].ClassNames | Should -Be @('setosa', 'versicolor', 'virginica')
            $data[0].Labels[0..2] | Should -Be @(2, 0, 1)
            $data[0].Features[1, 0] | Should -Be 3.6
            $data[0].Features[0, 1] | Should -Be 0.25
        }

        It 'gives the same dataset as Import-Dataset reading the file' {
            $fromObjects = Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty Species
            $fromFile = Import-Dataset -Path $csv -LabelColumn Species
            $fromObjects.Features.Equals($fromFile.Features) | Should -BeTrue
            $fromObjects.Labels | Should -Be $fromFile.Labels
            $fromObjects.ClassNames | Should -Be $fromFile.ClassNames
        }

        It 'takes the features named by -FeatureProperty, in that order, and the name from -Name' {
            $data = Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty Species -FeatureProperty Width, Length -Name Flowers
            $data.FeatureNames | Should -Be @('Width', 'Length')
            $data.Features[1, 1] | Should -Be 3.6
            $data.Name | Should -Be 'Flowers'
        }
    }

    Context 'From any objects' {
        It 'takes objects with numeric properties; integer labels stay: label k is class k' {
            $objects = 0..9 | ForEach-Object { [pscustomobject]@{ X = $_; Y = [double]$_ / 4; Extra = 'ignored?'; Class = $_ % 3 } }
            $data = $objects | ConvertTo-Dataset -LabelProperty Class -FeatureProperty X, Y
            $data.ClassNames | Should -Be @('0', '1', '2')
            $data.Labels | Should -Be @(0, 1, 2, 0, 1, 2, 0, 1, 2, 0)
            $data.Features[9, 1] | Should -Be 2.25
        }

        It 'takes hashtables and matches later objects by name, whatever their property order and case' {
            $data = @(
                [ordered]@{ a = 1; b = 2; label = 'yes' }
                [ordered]@{ B = 4; label = 'no'; A = 3; more = 'x' }
                @{ label = 'yes'; a = 5; b = 6 }
            ) | ConvertTo-Dataset -LabelProperty label
            $data.FeatureNames | Should -Be @('a', 'b')
            $data.Features.ToRowArrays() | ForEach-Object { , @($_) } | Should -Be @(@(1, 2), @(3, 4), @(5, 6))
            $data.ClassNames | Should -Be @('no', 'yes')
        }

        It 'reads numbers of any type, PowerShell-wrapped or not, and booleans as 1 and 0' {
            $objects = @(
                [pscustomobject]@{ i = [int]1; d = [decimal]2.5; b = $true; l = 'a' }
                [pscustomobject]@{ i = [long]3; d = [float]0.5; b = $false; l = 'b' }
            )
            $objects[0].PSObject.Properties['i'].Value = [psobject]7   # a wrapped number
            $data = $objects | ConvertTo-Dataset -LabelProperty l
            $data.Features.ToRowArrays() | ForEach-Object { , @($_) } | Should -Be @(@(7, 2.5, 1), @(3, 0.5, 0))
        }
    }

    Context 'Bad objects and parameters' {
        It 'reports a bad object as a non-terminating error naming it, and builds the dataset from the rest' {
            $objects = Import-Csv -LiteralPath $csv
            $objects[2].Width = 'wide'
            $objects[4].PSObject.Properties.Remove('Length')
            $data = $objects | ConvertTo-Dataset -LabelProperty Species -ErrorVariable problems -ErrorAction SilentlyContinue
            $data.Count | Should -Be 28
            $problems.Count | Should -Be 2
            $problems[0].FullyQualifiedErrorId | Should -Be (Get-Id ObjectInvalidNumber)
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $problems[0].Exception.Message | Should -Match "^Object 3, property 'Width': 'wide' is not a number"
            $problems[0].TargetObject | Should -Be $objects[2]
            $problems[1].FullyQualifiedErrorId | Should -Be (Get-Id ObjectPropertyMissing)
            $problems[1].Exception.Message | Should -Match "^Object 5 has no property 'Length'"
        }

        It 'reports missing values (<Value>) as ObjectMissingValue' -TestCases @(
            @{ Value = '' }, @{ Value = 'NA' }, @{ Value = $null }
        ) {
            $objects = @([pscustomobject]@{ x = 1; y = 'a' }, [pscustomobject]@{ x = $Value; y = 'b' })
            $null = $objects | ConvertTo-Dataset -LabelProperty y -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems.FullyQualifiedErrorId | Should -Be (Get-Id ObjectMissingValue)
        }

        It 'stops with one error listing the properties when the first object lacks the -LabelProperty or a -FeatureProperty (a misspelling)' {
            $objects = Import-Csv -LiteralPath $csv
            $errors = @(Get-ErrorRecord { $objects | ConvertTo-Dataset -LabelProperty Specis })
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be (Get-Id ObjectLabelPropertyNotFound)
            $errors[0].Exception.Message | Should -Match "Object 1 has no property 'Specis' for the label\. Its properties are: .*'Species'"
            { $objects | ConvertTo-Dataset -LabelProperty Species -FeatureProperty Lenght } | Should -Throw -ErrorId (Get-Id ObjectFeaturePropertyNotFound)
            # Only the first object decides that: a later object without the label is one bad object among many.
            $objects[3].PSObject.Properties.Remove('Species')
            $data = $objects | ConvertTo-Dataset -LabelProperty Species -ErrorVariable problems -ErrorAction SilentlyContinue
            $data.Count | Should -Be ($objects.Count - 1)
            $problems.FullyQualifiedErrorId | Should -Be (Get-Id ObjectPropertyMissing)
            $problems.Exception.Message | Should -Match "^Object 4 has no property 'Species'"
        }

        It 'stops with ObjectNoRows when no object could be used' {
            $err = { [pscustomobject]@{ x = 'one'; Species = 0 } | ConvertTo-Dataset -LabelProperty Species -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId (Get-Id ObjectNoRows) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.Exception.Message | Should -BeLike "The one object given was rejected*Object 1, property 'x': 'one' is not a number*"
            $err = { @() | ConvertTo-Dataset -LabelProperty Species } | Should -Throw -ErrorId (Get-Id ObjectNoRows) -PassThru
            $err.Exception.Message | Should -BeLike 'No objects were given*'
            $err = { @([pscustomobject]@{ x = 'a'; Species = 0 }, [pscustomobject]@{ x = 'b'; Species = 1 }) |
                    ConvertTo-Dataset -LabelProperty Species -ErrorAction SilentlyContinue } | Should -Throw -ErrorId (Get-Id ObjectNoRows) -PassThru
            $err.Exception.Message | Should -BeLike "All 2 objects given were rejected*Object 1, property 'x': 'a' is not a number*"
        }

        It 'refuses whole-number labels too large to be class numbers, whatever their type: <Label>' -TestCases @(
            @{ Label = [int]::MaxValue; Shown = '2147483647' }
            @{ Label = 3000000000; Shown = '3000000000' }
            @{ Label = [long]9007199254740993; Shown = '9007199254740993' }
            @{ Label = [double]9007199254740993; Shown = '9007199254740992' }
            @{ Label = '1e300'; Shown = '1e300' }
        ) {
            $err = { @([pscustomobject]@{ x = 1; c = 0 }, [pscustomobject]@{ x = 2; c = $Label }) | ConvertTo-Dataset -LabelProperty c } |
                Should -Throw -ErrorId (Get-Id ObjectTooManyClasses) -PassThru
            $err.Exception.Message | Should -BeLike "*'$Shown'*"
        }

        It 'takes labels that are not whole numbers of 0 or more as class names: <Label>' -TestCases @(
            @{ Label = -1; Classes = @('-1', '0') }
            @{ Label = [int]::MinValue; Classes = @('-2147483648', '0') }
            @{ Label = 0.5; Classes = @('0', '0.5') }
        ) {
            $d = @([pscustomobject]@{ x = 1; c = 0 }, [pscustomobject]@{ x = 2; c = $Label }) | ConvertTo-Dataset -LabelProperty c
            $d.ClassNames | Should -Be $Classes
        }

        It 'names the missing label property and the properties there are' {
            # The first object decides: one terminating error, not one per object and then ObjectNoRows.
            $err = { [pscustomobject]@{ x = 1; y = 2 } | ConvertTo-Dataset -LabelProperty Species } |
                Should -Throw -ErrorId (Get-Id ObjectLabelPropertyNotFound) -PassThru
            $err.Exception.Message | Should -Match "Object 1 has no property 'Species' for the label. Its properties are: 'x', 'y'"
        }

        It 'refuses -FeatureProperty <Case>' -TestCases @(
            @{ Case = 'naming the label'; Features = @('Length', 'Species'); Id = 'ObjectLabelAmongFeatures' }
            @{ Case = 'naming a property twice'; Features = @('Length', 'length'); Id = 'ObjectDuplicateFeature' }
        ) {
            $err = { Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty Species -FeatureProperty $Features } |
                Should -Throw -ErrorId (Get-Id $Id) -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
    }

    Context 'Command' {
        It 'declares its output type and takes objects from the pipeline only through -InputObject' {
            $cmd = Get-Command ConvertTo-Dataset
            $cmd.OutputType.Type | Should -Contain ([MlpTools.Core.Data.Dataset])
            @($cmd.ParameterSets[0].Parameters | Where-Object ValueFromPipeline).Name | Should -Be 'InputObject'
        }

        It 'trains straight from objects' {
            $net = Import-Csv -LiteralPath $csv | ConvertTo-Dataset -LabelProperty Species | New-Mlp -HiddenSize 8 -Seed 1 |
                Invoke-Training -Epochs 40 -Seed 1
            ($net | Test-Mlp).Accuracy | Should -BeGreaterOrEqual 0.9
        }
    }
}
