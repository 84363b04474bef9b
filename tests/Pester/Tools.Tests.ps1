BeforeAll {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
}

Describe 'tools/New-GemmTiles.ps1' {
    It 'wrote the committed GemmTiles.Generated.cs (edit the script, run it, commit both)' {
        $committed = Join-Path $RepoRoot 'src/MlpTools.Core/Numerics/GemmTiles.Generated.cs'
        $fresh = Join-Path ([System.IO.Path]::GetTempPath()) "GemmTiles.$([guid]::NewGuid().ToString('N')).cs"
        try {
            & (Join-Path $RepoRoot 'tools/New-GemmTiles.ps1') -OutFile $fresh
            $expected = [System.IO.File]::ReadAllText($fresh)
            $actual = [System.IO.File]::ReadAllText($committed)
            $expected.Length | Should -BeGreaterThan 10000
            # Compare line by line first, so that a difference names its line.
            $e = $expected -split "`n"
            $a = $actual -split "`n"
            for ($i = 0; $i -lt [math]::Min($e.Count, $a.Count); $i++) {
                if ($e[$i] -ne $a[$i]) { "line $($i + 1): $($a[$i])" | Should -Be "line $($i + 1): $($e[$i])" }
            }
            $actual | Should -BeExactly $expected
        }
        finally {
            Remove-Item -LiteralPath $fresh -ErrorAction Ignore
        }
    }
}
