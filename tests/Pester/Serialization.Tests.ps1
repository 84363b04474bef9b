# Networks through PowerShell serialization: Export-Clixml/Import-Clixml and Start-Job (another process). Type data
# sends a network as the bytes of its model file with its training state; the receiving side, with MlpTools imported,
# converts it back to a live network, checking the bytes as Import-Mlp checks a file.
BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force

    $digits = Import-Dataset -Name Digits
    $single = $digits | New-Mlp -HiddenSize 12 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -ValidationFraction 0.2 -Optimizer Adam
    $spiral = Import-Dataset -Name Spiral -Seed 1
    $double = $spiral | New-Mlp -HiddenSize 16 -Seed 2 -Precision Double | Invoke-Training -Epochs 4 -Momentum 0.9 -Seed 1
    $double.Preprocessor = [MlpTools.Core.Data.Preprocessor]::Fit($spiral, 'MinMax')
    $networks = @{ Single = $single; Double = $double }
    $data = @{ Single = $digits; Double = $spiral }

    # What must come back identical: everything the model file holds, plus what each network shows.
    function Assert-SameNetwork($Back, $Original, $Dataset) {
        $Back.GetType() | Should -Be $Original.GetType()
        [Linq.Enumerable]::SequenceEqual([byte[]]$Back.ModelBytes, [byte[]]$Original.ModelBytes) | Should -BeTrue
        $Back.ClassNames | Should -Be $Original.ClassNames
        $Back.FeatureNames | Should -Be $Original.FeatureNames
        "$($Back.ImageShape)" | Should -Be "$($Original.ImageShape)"
        $Back.History.Count | Should -Be $Original.History.Count
        $Back.History[-1].Diagnostics.W1.UpdateRatio | Should -Be $Original.History[-1].Diagnostics.W1.UpdateRatio
        $Back.BestEpoch | Should -Be $Original.BestEpoch
        $Back.StopReason | Should -Be $Original.StopReason
        $Back.Training.Optimizer | Should -Be $Original.Training.Optimizer
        if ($Original.Preprocessor) { $Back.Preprocessor.Offsets | Should -Be $Original.Preprocessor.Offsets }
        $before = Invoke-MlpPrediction -Network $Original -Dataset $Dataset
        $after = Invoke-MlpPrediction -Network $Back -Dataset $Dataset
        ($after.Probabilities | ForEach-Object { $_ }) | Should -Be ($before.Probabilities | ForEach-Object { $_ })
        (Test-Mlp -Network $Back -Dataset $Dataset).Accuracy | Should -Be (Test-Mlp -Network $Original -Dataset $Dataset).Accuracy
    }

    # The CliXml of the Single network with its model bytes replaced by what -Change makes of their base64 text.
    function Get-TamperedClixml([scriptblock] $Change) {
        $file = Join-Path $TestDrive 'original.xml'
        $single | Export-Clixml -LiteralPath $file
        $xml = Get-Content -LiteralPath $file -Raw
        $blob = [regex]::Match($xml, '<BA N="ModelBytes">([^<]*)</BA>').Groups[1].Value
        $blob | Should -Not -BeNullOrEmpty
        $tampered = Join-Path $TestDrive 'tampered.xml'
        Set-Content -LiteralPath $tampered -Value $xml.Replace($blob, (& $Change $blob)) -NoNewline
        $tampered
    }
}

Describe 'Serialization of networks' {
    It 'sends a network as its model bytes, not as a property bag of truncated numbers' {
        $file = Join-Path $TestDrive 'net.xml'
        $single | Export-Clixml -LiteralPath $file
        $xml = Get-Content -LiteralPath $file -Raw
        $xml | Should -Match '<BA N="ModelBytes">'
        $xml | Should -Not -Match 'N="W1"'
    }

    It 'comes back from Import-Clixml as a live <Precision> network, identical' -TestCases @(
        @{ Precision = 'Single' }, @{ Precision = 'Double' }
    ) {
        $file = Join-Path $TestDrive "net-$Precision.xml"
        $networks[$Precision] | Export-Clixml -LiteralPath $file
        $back = Import-Clixml -LiteralPath $file
        $back | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        $back.Precision | Should -Be $Precision
        Assert-SameNetwork $back $networks[$Precision] $data[$Precision]
    }

    It 'comes back from PSSerializer text as a live <Precision> network, identical' -TestCases @(
        @{ Precision = 'Single' }, @{ Precision = 'Double' }
    ) {
        # The way to move a network through SSH remoting, whose client applies no module's type data (Remoting.Tests.ps1).
        $text = [System.Management.Automation.PSSerializer]::Serialize($networks[$Precision])
        $back = [System.Management.Automation.PSSerializer]::Deserialize($text)
        $back | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        Assert-SameNetwork $back $networks[$Precision] $data[$Precision]
    }

    It 'comes back from Start-Job (another process) as a live <Precision> network, identical, and is live inside the job' -TestCases @(
        @{ Precision = 'Single' }, @{ Precision = 'Double' }
    ) {
        # The job's arguments are deserialized before its script runs: MlpTools is imported by its initialization script.
        $job = Start-Job -InitializationScript { Import-Module $env:MLPTOOLS_MODULE_PATH } -ScriptBlock {
            param($Network)
            [pscustomobject]@{ Live = $Network -is [MlpTools.Core.Model.Mlp]; History = $Network.History.Count }
            $Network
        } -ArgumentList $networks[$Precision]
        $out = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $out.Count | Should -Be 2
        $out[0].Live | Should -BeTrue
        $out[0].History | Should -Be $networks[$Precision].History.Count
        $out[1] | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        Assert-SameNetwork $out[1] $networks[$Precision] $data[$Precision]
    }

    It 'comes back live from a job when it is nested in the objects the job writes' {
        $job = Start-Job -InitializationScript { Import-Module $env:MLPTOOLS_MODULE_PATH } -ScriptBlock {
            param($Network)
            [pscustomobject]@{ Trial = 1; Network = $Network; Inner = [pscustomobject]@{ Network = $Network } }
        } -ArgumentList $double
        $out = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $out.Network | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        $out.Inner.Network | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        [Linq.Enumerable]::SequenceEqual([byte[]]$out.Inner.Network.ModelBytes, [byte[]]$double.ModelBytes) | Should -BeTrue
    }

    It 'stays a property bag with the model bytes where MlpTools is not imported, which the cmdlets take once it is' {
        $job = Start-Job -ScriptBlock {
            param($Network, $ModulePath)
            $bag = [pscustomobject]@{
                Loaded   = @(Get-Module MlpTools).Count
                TypeName = $Network.PSObject.TypeNames[0]
                HasBytes = $Network.ModelBytes -is [byte[]]
            }
            Import-Module $ModulePath
            $bag | Add-Member Live ($Network -is [MlpTools.Core.Model.Mlp])
            $bag | Add-Member Cast (([MlpTools.Core.Model.Mlp]$Network) -is [MlpTools.Core.Model.Mlp])
            $bag | Add-Member Accuracy (Test-Mlp -Network $Network -Dataset (Import-Dataset -Name Digits)).Accuracy
            $bag
        } -ArgumentList $single, $env:MLPTOOLS_MODULE_PATH
        $out = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $out.Loaded | Should -Be 0
        $out.TypeName | Should -BeLike 'Deserialized.MlpTools.Core.Model.Mlp*'
        $out.HasBytes | Should -BeTrue
        $out.Live | Should -BeFalse
        $out.Cast | Should -BeTrue
        $out.Accuracy | Should -Be (Test-Mlp -Network $single -Dataset $digits).Accuracy
    }

    Context 'A tampered CliXml' {
        It 'is refused when <Case>, with the model file''s error' -TestCases @(
            @{ Case = 'a character of the blob is changed'; ErrorId = 'Model*'
               Change = { param($b) $i = $b.Length - 40; $c = if ($b[$i] -ceq 'A') { 'B' } else { 'A' }; $b.Substring(0, $i) + $c + $b.Substring($i + 1) } }
            @{ Case = 'a byte of the weights is changed'; ErrorId = 'ModelChecksumMismatch'
               Change = { param($b) $bytes = [Convert]::FromBase64String($b); $bytes[-9] = $bytes[-9] -bxor 1; [Convert]::ToBase64String($bytes) } }
            @{ Case = 'the blob is truncated'; ErrorId = 'ModelFileTruncated'
               Change = { param($b) $bytes = [Convert]::FromBase64String($b); [Convert]::ToBase64String($bytes[0..($bytes.Length - 100)]) } }
            @{ Case = 'the blob is cut to a few bytes'; ErrorId = 'ModelFileTruncated'
               Change = { param($b) [Convert]::ToBase64String([byte[]](1, 2, 3)) } }
        ) {
            $file = Get-TamperedClixml $Change
            $bag = Import-Clixml -LiteralPath $file
            $bag | Should -Not -BeOfType ([MlpTools.Core.Model.Mlp])
            $bag.DeserializationError | Should -BeLike "*the serialized network*"
            $err = { Test-Mlp -Network $bag -Dataset $digits } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,MlpTools.Commands.TestMlpCommand"
            $err.Exception.Message | Should -BeLike "*the serialized network*"
            { [MlpTools.Core.Model.Mlp]$bag } | Should -Throw '*the serialized network*'
        }

        It 'is refused, saying to send PSSerializer text, when it has no ModelBytes (serialized without MlpTools'' type data)' {
            # What PowerShell's SSH remoting client sends: the network as a plain object, its weights as text.
            $file = Join-Path $TestDrive 'original.xml'
            $single | Export-Clixml -LiteralPath $file
            $xml = Get-Content -LiteralPath $file -Raw
            # Neither ModelBytes nor SerializationError: type data did not apply where it was serialized.
            $stripped = [regex]::Replace($xml, '<BA N="ModelBytes">[^<]*</BA>|<Nil N="SerializationError" />', '')
            $stripped | Should -Not -Match 'ModelBytes|SerializationError'
            $file = Join-Path $TestDrive 'stripped.xml'
            Set-Content -LiteralPath $file -Value $stripped -NoNewline
            $bag = Import-Clixml -LiteralPath $file
            $bag | Should -Not -BeOfType ([MlpTools.Core.Model.Mlp])
            $bag.DeserializationError | Should -BeLike '*no ModelBytes*PSSerializer]::Serialize($net)*'
            $err = { Test-Mlp -Network $bag -Dataset $digits } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be 'NetworkSerializedWithoutModel,MlpTools.Commands.TestMlpCommand'
            $err.Exception.Message | Should -BeLike '*SSH remoting*PSSerializer]::Deserialize($text)*'
        }

        It 'is refused by Import-Clixml itself when the blob is not base64' {
            $file = Get-TamperedClixml { param($b) 'not base64 at all!' }
            { Import-Clixml -LiteralPath $file } | Should -Throw '*System.Byte*not valid*'
        }
    }

    Context 'A network no model file can hold' {
        BeforeAll {
            # PowerShell leaves out a property whose getter throws without a word: such a network arrives without its
            # model bytes, and must be refused saying why, not taken for a bag of sizes or "a row of a table".
            $broken = $spiral | New-Mlp -HiddenSize 4 -Seed 1
            $broken.W1[0, 0] = [double]::NaN
        }

        It 'is sent with why it has no model bytes, and refused where it arrives' {
            $file = Join-Path $TestDrive 'nan.xml'
            $broken | Export-Clixml -LiteralPath $file
            $xml = Get-Content -LiteralPath $file -Raw
            $xml | Should -Not -Match 'N="ModelBytes"'
            $xml | Should -Match '<S N="SerializationError">[^<]*W1 holds NaN'
            $bag = Import-Clixml -LiteralPath $file
            $bag | Should -Not -BeOfType ([MlpTools.Core.Model.Mlp])
            $bag.DeserializationError | Should -BeLike '*could not be serialized*W1 holds NaN or infinity*'
            foreach ($command in @(
                    { Test-Mlp -Network $bag -Dataset $spiral }
                    { $bag | Invoke-Training -Dataset $spiral -Epochs 1 }
                    { Get-MlpSummary -Network $bag }
                    { Export-Mlp -Network $bag -LiteralPath (Join-Path $TestDrive 'nan.safetensors') })) {
                $err = $command | Should -Throw -PassThru
                $err.FullyQualifiedErrorId | Should -BeLike 'ModelNotSerialized,MlpTools.Commands.*'
                $err.Exception.Message | Should -BeLike 'The serialized network has no ModelBytes: the network could not be serialized where it came from. *W1 holds NaN*'
            }
            { Invoke-MlpPrediction -Network $bag -Dataset $spiral } | Should -Throw '*could not be serialized*W1 holds NaN*'
            { [MlpTools.Core.Model.Mlp]$bag } | Should -Throw '*could not be serialized*W1 holds NaN*'
        }

        It 'is refused saying why when a job writes it' {
            $job = Start-Job -InitializationScript { Import-Module $env:MLPTOOLS_MODULE_PATH } -ScriptBlock {
                $net = Import-Dataset -Name Spiral -Seed 1 | New-Mlp -HiddenSize 4 -Seed 1
                $net.b2[1] = [double]::PositiveInfinity
                $net
            }
            $out = $job | Wait-Job -Timeout 120 | Receive-Job
            $job | Remove-Job -Force
            $out | Should -Not -BeOfType ([MlpTools.Core.Model.Mlp])
            $out.DeserializationError | Should -BeLike '*b2 holds NaN or infinity*'
            $err = { Test-Mlp -Network $out -Dataset $spiral } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ModelNotSerialized,*'
        }

        It 'is refused when it arrives without its model bytes and without saying why' {
            # Type data applied (SerializationError was sent, empty), but the bytes were lost on the way.
            $file = Join-Path $TestDrive 'net-plain.xml'
            $single | Export-Clixml -LiteralPath $file
            $xml = Get-Content -LiteralPath $file -Raw
            $stripped = [regex]::Replace($xml, '<BA N="ModelBytes">[^<]*</BA>', '')
            $stripped | Should -Not -Match 'ModelBytes'
            $stripped | Should -Match '<Nil N="SerializationError" />'
            Set-Content -LiteralPath $file -Value $stripped -NoNewline
            $bag = Import-Clixml -LiteralPath $file
            $err = { Test-Mlp -Network $bag -Dataset $digits } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ModelNotSerialized,*'
            $err.Exception.Message | Should -BeLike '*could not be serialized where it came from. It does not say why: a network whose weights hold NaN or infinity cannot be*'
        }
    }
}

# Datasets through the same doors: type data sends a dataset as its bytes (features bit for bit in their storage
# precision, labels, names, image shape, source rows, with a SHA-256), and the receiving side converts it back.
Describe 'Serialization of datasets' {
    BeforeAll {
        $csv = Join-Path $TestDrive 'flowers.csv'
        Set-Content -LiteralPath $csv -Encoding utf8 -Value 'größe,breite,art',
            '0.123456789012,2.5,rose 🌹', '1.25,-3.75,tulpe', '2.5e-3,4,rose 🌹', '7,8.125,veilchen', '0.1,0.2,tulpe', '3,1e-300,veilchen'
        $flowers = Import-Dataset -LiteralPath $csv
        $train, $test = $digits | Split-Dataset -TestFraction 0.25 -Seed 3
        $datasets = [ordered]@{ Digits = $digits; Spiral = $spiral; Flowers = $flowers; DigitsPart = $test }

        # What must come back identical: every byte of the dataset's serialized form, and what each property shows.
        function Assert-SameDataset($Back, $Original) {
            $Back | Should -BeOfType ([MlpTools.Core.Data.Dataset])
            [Linq.Enumerable]::SequenceEqual([byte[]]$Back.DatasetBytes, [byte[]]$Original.DatasetBytes) | Should -BeTrue
            $Back.StoragePrecision | Should -Be $Original.StoragePrecision
            $Back.Name | Should -BeExactly $Original.Name
            $Back.Source | Should -BeExactly $Original.Source
            $Back.Attribution | Should -BeExactly $Original.Attribution
            $Back.LabelName | Should -BeExactly $Original.LabelName
            "$($Back.ImageShape)" | Should -Be "$($Original.ImageShape)"
            $Back.Labels | Should -Be $Original.Labels
            $Back.ClassNames | Should -BeExactly $Original.ClassNames
            $Back.FeatureNames | Should -BeExactly $Original.FeatureNames
            @($Back.SourceRows) | Should -Be @($Original.SourceRows)
            $Back.Features.Equals($Original.Features) | Should -BeTrue
        }

        # The CliXml of Digits with its bytes replaced by what -Change makes of their base64 text.
        function Get-TamperedDatasetClixml([scriptblock] $Change) {
            $file = Join-Path $TestDrive 'digits.xml'
            $digits | Export-Clixml -LiteralPath $file
            $xml = Get-Content -LiteralPath $file -Raw
            $blob = [regex]::Match($xml, '<BA N="DatasetBytes">([^<]*)</BA>').Groups[1].Value
            $blob | Should -Not -BeNullOrEmpty
            $tampered = Join-Path $TestDrive 'digits-tampered.xml'
            Set-Content -LiteralPath $tampered -Value $xml.Replace($blob, (& $Change $blob)) -NoNewline
            $tampered
        }
    }

    It 'sends a dataset as its name, sizes and bytes, not as a property bag of truncated numbers' {
        $file = Join-Path $TestDrive 'digits-plain.xml'
        $digits | Export-Clixml -LiteralPath $file
        $xml = Get-Content -LiteralPath $file -Raw
        $xml | Should -Match '<BA N="DatasetBytes">'
        $xml | Should -Match '<S N="Name">Digits</S>'
        $xml | Should -Match '<I32 N="Count">1797</I32>'
        $xml | Should -Not -Match 'N="Features"'
        $xml | Should -Not -Match 'N="Labels"'
    }

    It 'comes back from Import-Clixml as a live dataset, identical: <Case>' -TestCases @(
        @{ Case = 'Digits' }, @{ Case = 'Spiral' }, @{ Case = 'Flowers' }, @{ Case = 'DigitsPart' }
    ) {
        $original = $datasets[$Case]
        $file = Join-Path $TestDrive "$Case.xml"
        $original | Export-Clixml -LiteralPath $file
        $back = Import-Clixml -LiteralPath $file
        Assert-SameDataset $back $original
    }

    It 'keeps what makes each case a case' {
        $digits.ImageShape | Should -Not -BeNullOrEmpty
        $digits.StoragePrecision | Should -Be 'Single'
        $spiral.StoragePrecision | Should -Be 'Double'
        $flowers.StoragePrecision | Should -Be 'Double'
        $flowers.LabelName | Should -Be 'art'
        $flowers.ClassNames | Should -Contain 'rose 🌹'
        $test.SourceRows.Count | Should -Be $test.Count
    }

    It 'comes back from Start-Job (another process) live and identical, and is live inside the job' {
        $job = Start-Job -InitializationScript { Import-Module $env:MLPTOOLS_MODULE_PATH } -ScriptBlock {
            param($Datasets)
            foreach ($d in $Datasets) {
                [pscustomobject]@{ Name = $d.Name; Live = $d -is [MlpTools.Core.Data.Dataset]; Shape = "$($d.ImageShape)"; Rows = @($d.SourceRows).Count }
            }
            $Datasets
        } -ArgumentList (, [object[]]$datasets.Values)
        $out = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $out.Count | Should -Be 8
        $out[0..3].Live | Should -Be @($true, $true, $true, $true)
        $out[0..3].Name | Should -Be @($datasets.Values.Name)
        $out[0].Shape | Should -Be '8x8'
        $out[3].Rows | Should -Be $test.Count
        $i = 4
        foreach ($original in $datasets.Values) { Assert-SameDataset $out[$i++] $original }
    }

    It 'is taken by New-Mlp, Invoke-Training and Test-Mlp after the trip, with the results of the original' {
        $file = Join-Path $TestDrive 'spiral-train.xml'
        $spiral | Export-Clixml -LiteralPath $file
        $back = Import-Clixml -LiteralPath $file
        $trained = $back | New-Mlp -HiddenSize 8 -Seed 4 | Invoke-Training -Epochs 3 -Seed 4
        $reference = $spiral | New-Mlp -HiddenSize 8 -Seed 4 | Invoke-Training -Epochs 3 -Seed 4
        $trained.W1.Equals($reference.W1) | Should -BeTrue
        $trained.Dataset | Should -Be $back
        (Test-Mlp -Network $reference -Dataset $back).Accuracy | Should -Be (Test-Mlp -Network $reference -Dataset $spiral).Accuracy
        $again = Invoke-Training -Network $reference -Dataset $back -ValidationDataset $back -Epochs 1 -Seed 1
        $again.History.Count | Should -Be 4
    }

    It 'stays a property bag with its bytes where MlpTools is not imported, which the cmdlets take once it is' {
        $job = Start-Job -ScriptBlock {
            param($Dataset, $ModulePath)
            $bag = [pscustomobject]@{
                Loaded   = @(Get-Module MlpTools).Count
                TypeName = $Dataset.PSObject.TypeNames[0]
                HasBytes = $Dataset.DatasetBytes -is [byte[]]
                Sizes    = "$($Dataset.Name) $($Dataset.Count) $($Dataset.FeatureCount) $($Dataset.ClassCount)"
            }
            Import-Module $ModulePath
            $bag | Add-Member Live ($Dataset -is [MlpTools.Core.Data.Dataset])
            $bag | Add-Member Cast (([MlpTools.Core.Data.Dataset]$Dataset).ImageShape.ToString())
            $bag | Add-Member Inputs ((New-Mlp -Dataset $Dataset -HiddenSize 4 -Seed 1).InputSize)
            $bag
        } -ArgumentList $digits, $env:MLPTOOLS_MODULE_PATH
        $out = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $out.Loaded | Should -Be 0
        $out.TypeName | Should -Be 'Deserialized.MlpTools.Core.Data.Dataset'
        $out.HasBytes | Should -BeTrue
        $out.Sizes | Should -Be 'Digits 1797 64 10'
        $out.Live | Should -BeFalse
        $out.Cast | Should -Be '8x8'
        $out.Inputs | Should -Be 64
    }

    It 'is refused saying why when it cannot be serialized' {
        $badName = [MlpTools.Core.Data.Dataset]::FromRows([float[]](1, 2), 1, 2, [int[]](0), [string[]]('c'),
            [string[]]('ok', "bad$([char]0xD800)"), 'Broken', '', $null, $null, $null)
        $file = Join-Path $TestDrive 'broken.xml'
        $badName | Export-Clixml -LiteralPath $file
        $bag = Import-Clixml -LiteralPath $file
        $bag | Should -Not -BeOfType ([MlpTools.Core.Data.Dataset])
        $bag.DeserializationError | Should -BeLike "The serialized dataset 'Broken' has no DatasetBytes: the dataset could not be serialized where it came from. *feature name*not valid Unicode text*"
        $err = { New-Mlp -Dataset $bag -HiddenSize 4 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'DatasetNotSerialized,MlpTools.Commands.NewMlpCommand'
    }

    Context 'A tampered CliXml' {
        It 'is refused when <Case>, with the dataset''s error' -TestCases @(
            @{ Case = 'a character of the blob is changed'; ErrorId = 'Dataset*'
               Change = { param($b) $i = [int]($b.Length / 2); $c = if ($b[$i] -ceq 'A') { 'B' } else { 'A' }; $b.Substring(0, $i) + $c + $b.Substring($i + 1) } }
            @{ Case = 'a number of the features is changed'; ErrorId = 'DatasetChecksumMismatch'
               Change = { param($b) $bytes = [Convert]::FromBase64String($b); $bytes[4000] = $bytes[4000] -bxor 0x40; [Convert]::ToBase64String($bytes) } }
            @{ Case = 'a label is changed'; ErrorId = 'DatasetChecksumMismatch'
               Change = { param($b) $bytes = [Convert]::FromBase64String($b); $bytes[-40] = $bytes[-40] -bxor 1; [Convert]::ToBase64String($bytes) } }
            @{ Case = 'the blob is truncated'; ErrorId = 'DatasetBytesTruncated'
               Change = { param($b) $bytes = [Convert]::FromBase64String($b); [Convert]::ToBase64String($bytes[0..($bytes.Length - 100)]) } }
            @{ Case = 'the blob is cut to a few bytes'; ErrorId = 'DatasetBytesTruncated'
               Change = { param($b) [Convert]::ToBase64String([byte[]](1, 2, 3)) } }
        ) {
            $file = Get-TamperedDatasetClixml $Change
            $bag = Import-Clixml -LiteralPath $file
            $bag | Should -Not -BeOfType ([MlpTools.Core.Data.Dataset])
            $bag.DeserializationError | Should -BeLike "*the serialized dataset 'Digits'*"
            $bag.DeserializationError | Should -BeLike '*serialize the dataset again*'
            foreach ($command in @(
                    { Test-Mlp -Network $single -Dataset $bag }
                    { New-Mlp -Dataset $bag -HiddenSize 4 }
                    { $bag | New-Mlp -HiddenSize 4 }
                    { Invoke-Training -Network $single -Dataset $bag -Epochs 1 }
                    { Invoke-Training -Network $single -Dataset $digits -ValidationDataset $bag -Epochs 1 }
                    { $bag | Split-Dataset -TestFraction 0.5 })) {
                $err = $command | Should -Throw -PassThru
                $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,MlpTools.Commands.*"
                $err.Exception.Message | Should -BeLike "*the serialized dataset 'Digits'*"
            }
            # Parameters without the input check are bound by PowerShell, through the same conversion.
            { Invoke-MlpPrediction -Network $single -Dataset $bag } | Should -Throw "*the serialized dataset 'Digits'*"
            { [MlpTools.Core.Data.Dataset]$bag } | Should -Throw "*the serialized dataset 'Digits'*"
        }
    }
}
