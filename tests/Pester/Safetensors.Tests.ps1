# Model files other tools can read: Export-Mlp's file read by tests/reference/read_safetensors.py, a reader written
# from the safetensors format alone (json and numpy, no code of ours), which checks every rule of the layout strictly
# and loads the tensors by name. Needs a Python 3 with numpy (Get-ReferencePython: Debian's python3-numpy, installed
# when running as root on Debian); skipped, saying so, where there is none. PyTorch (python3-torch) is optional.
BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Reader = Join-Path $PSScriptRoot '../reference/read_safetensors.py'
    $script:Python = $null
    $script:NoPython = $null
    try { $script:Python = Get-ReferencePython }
    catch {
        if ($_.Exception -is [Management.Automation.CommandNotFoundException]) { throw }
        $script:NoPython = "there is no Python 3 with numpy: $_"
    }
    $script:HaveTorch = $false
    if ($Python) {
        & $Python -c 'import torch' 2>$null
        $script:HaveTorch = $LASTEXITCODE -eq 0
    }

    # Runs the reader on a file; returns its exit code, its JSON output parsed (when it succeeded) and its stderr.
    function Invoke-Reader([string] $File, [string[]] $Extra = @()) {
        $errFile = Join-Path $TestDrive 'reader.err'
        $out = & $Python $Reader $File @Extra 2>$errFile
        [pscustomobject]@{
            ExitCode = $LASTEXITCODE
            Result   = if ($LASTEXITCODE -eq 0) { ($out -join "`n") | ConvertFrom-Json -AsHashtable -Depth 10 } else { $null }
            StdErr   = Get-Content -Raw -LiteralPath $errFile
        }
    }

    # The values of a MathNet matrix or vector, row-major, as doubles: what a row-major tensor holds.
    function Get-RowMajor($Value) {
        if ($Value -is [MathNet.Numerics.LinearAlgebra.Vector[float]] -or $Value -is [MathNet.Numerics.LinearAlgebra.Vector[double]]) {
            return , [double[]]@($Value.ToArray())
        }
        , [double[]]@($Value.ToRowMajorArray())
    }

    # Single: Digits with standardized inputs, trained with SGD and momentum. Double: class names that JSON must
    # escape, min-max scaling, Adam.
    $digits = Import-Dataset -Name Digits
    $single = $digits | New-Mlp -HiddenSize 8 -Seed 1 | Invoke-Training -Epochs 2 -Scaling Standardize -Momentum 0.9 -Seed 1
    $csv = Join-Path $TestDrive 'named.csv'
    $rows = foreach ($i in 0..29) {
        $label = @('a "quoted" class', "accent é and emoji `u{1F642}", 'back\slash')[$i % 3]
        '{0},{1},"{2}"' -f ($i * 3 + ($i % 3) * 40), (100 - $i * 2), $label.Replace('"', '""')
    }
    Set-Content -LiteralPath $csv -Value (@('size,weight,kind') + $rows) -Encoding utf8NoBOM
    $named = Import-Dataset -Path $csv -LabelColumn kind
    $double = $named | New-Mlp -HiddenSize 5 -Seed 2 -Precision Double | Invoke-Training -Epochs 3 -Optimizer Adam -Scaling MinMax -Seed 1
    $script:Networks = @{ Single = $single; Double = $double }
    $script:Data = @{ Single = $digits; Double = $named }
    $script:Files = @{}
    foreach ($precision in 'Single', 'Double') {
        $Files[$precision] = Join-Path $TestDrive "$precision.safetensors"
        $Networks[$precision] | Export-Mlp -Path $Files[$precision]
    }
}

Describe 'The model file, read by a safetensors reader that shares no code with MlpTools' {
    BeforeEach {
        if ($NoPython) { Set-ItResult -Skipped -Because $NoPython }
    }

    It 'follows every rule of the layout, and W1, b1, W2 and b2 of a <Precision> network load by name, every value exact' -TestCases @(
        @{ Precision = 'Single'; DType = 'F32'; Slots = @('velocity') },
        @{ Precision = 'Double'; DType = 'F64'; Slots = @('m', 'v') }
    ) {
        $net = $Networks[$Precision]
        $read = Invoke-Reader $Files[$Precision]
        $read.ExitCode | Should -Be 0 -Because $read.StdErr
        $r = $read.Result
        (8 + $r.header_length) % 8 | Should -Be 0

        $expected = @('W1', 'b1', 'W2', 'b2') + @(foreach ($slot in $Slots) { foreach ($p in 'W1', 'b1', 'W2', 'b2') { "optimizer.$slot.$p" } })
        $r.order | Should -Be $expected
        $shapes = @{ W1 = @($net.InputSize, $net.HiddenSize); b1 = @($net.HiddenSize); W2 = @($net.HiddenSize, $net.ClassCount); b2 = @($net.ClassCount) }
        foreach ($name in $r.order) {
            $r.tensors[$name].dtype | Should -Be $DType -Because $name
            @($r.tensors[$name].shape) | Should -Be $shapes[$name.Split('.')[-1]] -Because $name
        }
        foreach ($name in 'W1', 'b1', 'W2', 'b2') {
            $ours = Get-RowMajor $net.$name
            $theirs = [double[]]@($r.tensors[$name].values)
            $theirs.Count | Should -Be $ours.Count -Because $name
            $different = @(for ($k = 0; $k -lt $ours.Count; $k++) { if ($theirs[$k] -ne $ours[$k]) { "$name[$k]: $($theirs[$k]) vs $($ours[$k])" } })
            $different | Should -BeNullOrEmpty
        }

        # The scaling and the names, from __metadata__ (strings, JSON inside), exact.
        $scaling = $r.metadata['mlptools.preprocessing'] | ConvertFrom-Json
        $scaling.kind | Should -Be $net.Preprocessor.Kind.ToString().ToLowerInvariant()
        [Linq.Enumerable]::SequenceEqual([double[]]@($scaling.offsets), [double[]]@($net.Preprocessor.Offsets)) | Should -BeTrue
        [Linq.Enumerable]::SequenceEqual([double[]]@($scaling.scales), [double[]]@($net.Preprocessor.Scales)) | Should -BeTrue
        @($r.metadata['mlptools.class_names'] | ConvertFrom-Json) | Should -Be @($net.ClassNames)
        @($r.metadata['mlptools.feature_names'] | ConvertFrom-Json) | Should -Be @($net.FeatureNames)
    }

    It 'refuses files that break a rule, naming it: the reader is as strict as it says' {
        $bytes = [IO.File]::ReadAllBytes($Files.Single)
        $n = [BitConverter]::ToUInt64($bytes, 0)
        $json = [Text.Encoding]::UTF8.GetString($bytes, 8, [int]$n).TrimEnd(' ')
        $data = $bytes[(8 + $n)..($bytes.Length - 1)]
        # A file from a header (padded with $Pad to 8-byte alignment unless -NoAlign) and data bytes.
        function New-File([string] $Header, [byte[]] $Data, [char] $Pad = ' ', [switch] $NoAlign) {
            $h = [Text.Encoding]::UTF8.GetBytes($Header)
            $padding = if ($NoAlign) { 0 } else { (8 - $h.Length % 8) % 8 }
            $h = [byte[]]($h + @([byte]$Pad) * $padding)
            $file = Join-Path $TestDrive "broken-$([guid]::NewGuid().ToString('N')).safetensors"
            [IO.File]::WriteAllBytes($file, [byte[]]([BitConverter]::GetBytes([uint64]$h.Length) + $h + $Data))
            $file
        }
        $header = $json | ConvertFrom-Json -AsHashtable
        $rewrite = { param($change) $h = $json | ConvertFrom-Json -AsHashtable; & $change $h; $h | ConvertTo-Json -Depth 5 -Compress }

        $cases = [ordered]@{
            'as exported'                  = @((New-File $json $data), $null)
            'its header rewritten as it is' = @((New-File (& $rewrite { param($h) }) $data), $null)
            'the header length past the end' = @((New-File $json $data | ForEach-Object { $b = [IO.File]::ReadAllBytes($_); [BitConverter]::GetBytes([uint64]$b.Length).CopyTo($b, 0); [IO.File]::WriteAllBytes($_, $b); $_ }), 'rule 1')
            'padding with NUL bytes'       = @((New-File $json $data -Pad ([char]0)), 'rule 2')
            'a header not 8-byte aligned'  = @((New-File ($json + ' ' * (9 - ($json.Length % 8))) $data -NoAlign), 'rule 2')
            'a metadata value that is a number' = @((New-File (& $rewrite { param($h) $h['__metadata__']['mlptools.best_epoch'] = 2 }) $data), 'rule 3')
            'an unknown dtype'             = @((New-File (& $rewrite { param($h) $h['b2']['dtype'] = 'FLOAT' }) $data), 'rule 4')
            'a tensor with an extra key'   = @((New-File (& $rewrite { param($h) $h['b2']['strides'] = @(1) }) $data), 'rule 4')
            'tensors out of header order'  = @((New-File (& $rewrite { param($h) $w1 = $h['W1']; $h.Remove('W1'); $h['W1'] = $w1 }) $data), 'rule 5')
            'bytes after the last tensor'  = @((New-File $json ([byte[]]($data + [byte[]](1, 2, 3, 4)))), 'rule 5')
        }
        foreach ($case in $cases.GetEnumerator()) {
            $read = Invoke-Reader $case.Value[0]
            if ($null -eq $case.Value[1]) {
                $read.ExitCode | Should -Be 0 -Because "$($case.Key): $($read.StdErr)"
            }
            else {
                $read.ExitCode | Should -Be 2 -Because $case.Key
                $read.StdErr | Should -Match ([regex]::Escape($case.Value[1])) -Because $case.Key
            }
        }
    }

    It 'gives PyTorch the <Precision> network by name: nn.Linear layers that predict what Invoke-MlpPrediction does' -TestCases @(
        @{ Precision = 'Single'; Tolerance = 1e-6 }, @{ Precision = 'Double'; Tolerance = 1e-14 }
    ) {
        if (-not $HaveTorch) { Set-ItResult -Skipped -Because "PyTorch is not installed for $Python (Debian's python3-torch)"; return }
        $net = $Networks[$Precision]
        $samples = @($Data[$Precision] | Split-Dataset -TestFraction 0.2 -Seed 3)[1]
        $features = Join-Path $TestDrive "features-$Precision.json"
        $rows = @(foreach ($i in 0..($samples.Count - 1)) { , [double[]]@($samples.Features.Row($i).ToArray()) })
        ConvertTo-Json -InputObject $rows -Depth 3 -Compress | Set-Content -LiteralPath $features -Encoding utf8NoBOM
        $read = Invoke-Reader $Files[$Precision] @('--torch', '--features', $features)
        $read.ExitCode | Should -Be 0 -Because $read.StdErr
        $torch = $read.Result.torch
        @($torch.linear_shapes[0]) | Should -Be @($net.HiddenSize, $net.InputSize)
        $ours = @(Invoke-MlpPrediction -Network $net -Dataset $samples)
        $worst = 0.0
        for ($i = 0; $i -lt $ours.Count; $i++) {
            for ($c = 0; $c -lt $net.ClassCount; $c++) {
                $worst = [Math]::Max($worst, [Math]::Abs($torch.probabilities[$i][$c] - $ours[$i].Probabilities[$c]))
            }
        }
        $worst | Should -BeLessThan $Tolerance
    }
}
