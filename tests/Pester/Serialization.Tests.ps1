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
            $stripped = [regex]::Replace($xml, '<BA N="ModelBytes">[^<]*</BA>', '')
            $stripped | Should -Not -Be $xml
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
}
